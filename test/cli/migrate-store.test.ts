import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { migrateStoreCommand } from '../../src/cli/migrate-store.js';
import { apiPaths, createApp } from '../support/api.js';
import { dropTestDatabase, TEST_DATABASE_URL, testDatabase } from '../support/database.js';
import { startWharf, statelessService, type TestWharf } from '../support/wharf.js';

const paths = apiPaths();

/** What a client reads of the store, without what the runtime decides (pods, their status). */
async function storeView(wharf: TestWharf): Promise<unknown> {
  const get = async (url: string): Promise<any> => {
    const answer = await wharf.request('GET', url);
    assert.equal(answer.status, 200, `${url}: ${JSON.stringify(answer.body)}`);
    return answer.body;
  };
  const app = await get(paths.app('shop'));
  return {
    services: app.microservices.map(({ pods: _pods, status: _status, ...service }: any) => service),
    revisions: await get(paths.revisions('shop', 'web')),
    configMaps: await get(paths.configMaps),
    volumes: (await get(paths.volumes)).map((volume: any) => [volume.name, volume.size, volume.storageType]),
    tokens: await get('/v1/tokens'),
    quota: (await get(paths.quota)).limits,
  };
}

describe(`wharf migrate-store: a SQLite store copied into ${TEST_DATABASE_URL ? 'PostgreSQL' : 'another SQLite store'}`, () => {
  const sourceDir = mkdtempSync(join(tmpdir(), 'wharf-copy-from-'));
  const targetDir = mkdtempSync(join(tmpdir(), 'wharf-copy-to-'));
  let targetUrl: string | undefined;
  let target: string;
  let before_: unknown;
  let copied: TestWharf | undefined;

  before(async () => {
    const source = await startWharf({ dataDir: sourceDir, databaseUrl: undefined });
    try {
      await createApp(source, 'shop', [statelessService('web'), statelessService('worker')]);
      const upgrade = await source.request('PUT', paths.action('shop', 'web', 'upgrade'), { containers: [{ name: 'container-0', image: 'reg.qiniu.com/library/alpine:3.20' }] });
      assert.equal(upgrade.status, 200, JSON.stringify(upgrade.body));
      assert.equal((await source.request('POST', paths.configMaps, { name: 'settings', data: { mode: 'on' } })).status, 201);
      assert.equal((await source.request('POST', paths.volumes, { name: 'data', size: 3 })).status, 201);
      assert.equal((await source.request('POST', '/v1/tokens', { name: 'ci', projects: ['proj'] })).status, 201);
      assert.equal((await source.request('PUT', paths.quota, { pods: 50 })).status, 200);
      before_ = await storeView(source);
    } finally {
      await source.stop();
    }
    targetUrl = TEST_DATABASE_URL ? await testDatabase() : undefined;
    target = targetUrl ?? `sqlite:${targetDir}`;
  });
  after(async () => {
    await copied?.stop();
    if (targetUrl) await dropTestDatabase(targetUrl);
    for (const dir of [sourceDir, targetDir]) rmSync(dir, { recursive: true, force: true });
  });

  it('copies every row: a Wharf on the target answers as the source did, and goes on creating', async () => {
    const output = await migrateStoreCommand(['--from', `sqlite:${sourceDir}`, '--to', target]);
    assert.match(output, /services\s+2\n/, output);
    assert.match(output, /revisions\s+3\n/, output);
    if (targetUrl) assert.doesNotMatch(output, /wharf_ci:wharf_ci@/, 'the password is not printed');

    copied = await startWharf(targetUrl ? { databaseUrl: targetUrl } : { dataDir: targetDir, databaseUrl: undefined });
    assert.deepEqual(await storeView(copied), before_);
    // The ids were copied as they were: new rows must get ids after them.
    await createApp(copied, 'more', [statelessService('web')]);
    assert.equal((await copied.request('POST', paths.configMaps, { name: 'other', data: { a: 'b' } })).status, 201);
  });

  it('refuses a target that is not empty', async () => {
    await assert.rejects(migrateStoreCommand(['--from', `sqlite:${sourceDir}`, '--to', target]), /target store is not empty: .*apps/);
  });

  it('names the option it cannot read', async () => {
    await assert.rejects(migrateStoreCommand(['--from', 'mysql://x', '--to', target]), /--from must be sqlite:DATA_DIR or a postgres:\/\/ URL/);
    await assert.rejects(migrateStoreCommand(['--from', `sqlite:${sourceDir}`]), /both --from and --to are required/);
    await assert.rejects(migrateStoreCommand(['--from', `sqlite:${sourceDir}-typo`, '--to', target]), /no Wharf store there \(no wharf\.sqlite\)/);
    assert.ok(!existsSync(`${sourceDir}-typo`), 'and makes none');
  });
});
