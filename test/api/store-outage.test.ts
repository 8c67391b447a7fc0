import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Sqlite from 'better-sqlite3';
import { apiPaths, assertError, createApp, eventually } from '../support/api.js';
import { dropTestDatabase, TEST_DATABASE_URL, testDatabase } from '../support/database.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { startWharf, statelessService, type TestWharf } from '../support/wharf.js';

const paths = apiPaths();

describe('the PostgreSQL store goes away and comes back', { skip: TEST_DATABASE_URL ? false : 'needs PostgreSQL: set WHARF_TEST_DATABASE_URL' }, () => {
  let databaseUrl: string;
  let proxy: TcpProxy;
  let wharf: TestWharf;
  before(async () => {
    databaseUrl = await testDatabase();
    const direct = new URL(databaseUrl);
    proxy = await TcpProxy.start({ host: direct.hostname, port: Number(direct.port || 5432) });
    const proxied = new URL(databaseUrl);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    wharf = await startWharf({ databaseUrl: proxied.toString() });
  });
  after(async () => {
    await proxy?.restore();
    await wharf?.stop();
    await proxy?.close();
    if (databaseUrl) await dropTestDatabase(databaseUrl);
  });

  it('answers 503 StoreUnavailable while it is gone, changes nothing, and serves again by itself once it is back', async () => {
    await createApp(wharf, 'outage', [statelessService('web')]);
    const service = paths.service('outage', 'web');
    await proxy.cut();

    // The change feed's connection went with it: the cache is no longer trusted, reads go to the store.
    const read = await eventually(() => wharf.request('GET', service), (answer) => answer.status !== 200, 10_000);
    assertError(read, 503, 'StoreUnavailable', /store does not answer/);
    const write = await wharf.request('PUT', paths.action('outage', 'web', 'scale/3'));
    assertError(write, 503, 'StoreUnavailable', /retry/);
    assert.equal(write.headers['retry-after'], '1', 'a client is told when to retry');

    await proxy.restore();
    const back = await eventually(() => wharf.request('GET', service), (answer) => answer.status === 200, 20_000);
    assert.equal(back.body.instanceNumber, 1, 'the scale refused during the outage did not happen');
    assert.equal((await wharf.request('PUT', paths.action('outage', 'web', 'scale/2'))).status, 204, 'writes go through again');
  });
});

describe('the SQLite store is locked by another process', () => {
  let dataDir: string;
  let wharf: TestWharf;
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-outage-'));
    wharf = await startWharf({ dataDir, databaseUrl: undefined });
  });
  after(async () => {
    await wharf?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers a write 503 StoreUnavailable once the lock outlasts the busy timeout, and reads still answer', { skip: TEST_DATABASE_URL ? 'the SQLite case' : false }, async () => {
    await createApp(wharf, 'locked', [statelessService('web')]);
    const other = new Sqlite(join(dataDir, 'wharf.sqlite'));
    try {
      other.exec('BEGIN IMMEDIATE');
      const write = await wharf.request('PUT', paths.action('locked', 'web', 'scale/3'));
      assertError(write, 503, 'StoreUnavailable', /SQLITE_BUSY|locked/);
      assert.equal((await wharf.request('GET', paths.service('locked', 'web'))).status, 200, 'WAL readers are not blocked');
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    assert.equal((await wharf.request('PUT', paths.action('locked', 'web', 'scale/2'))).status, 204);
  });
});
