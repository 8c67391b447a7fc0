import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { keyString } from '../../src/domain/keys.js';
import { CHANGE_FEED_APPLICATION } from '../../src/store/change-listener.js';
import { apiPaths, createApp, eventually, isRunning } from '../support/api.js';
import { TEST_DATABASE_URL } from '../support/database.js';
import { createSeedConfigMap, startWharf, statelessService, type TestWharf } from '../support/wharf.js';

const paths = apiPaths();
/** Longer than any test here: what a replica sees, it saw through the change feed, not a periodic resync. */
const NO_RESYNC_MS = 10 * 60_000;

describe('two Wharf replicas on one PostgreSQL store', { skip: TEST_DATABASE_URL ? false : 'needs PostgreSQL: set WHARF_TEST_DATABASE_URL' }, () => {
  let a: TestWharf;
  let b: TestWharf;
  before(async () => {
    a = await startWharf({ controllerResyncMs: NO_RESYNC_MS });
    b = await startWharf({ databaseUrl: a.databaseUrl, controllerResyncMs: NO_RESYNC_MS });
    await createSeedConfigMap(a);
  });
  after(async () => {
    await b?.stop();
    await a?.stop();
  });

  it('serves through one replica what was created through the other', async () => {
    const created = await createApp(a, 'shared', [statelessService('web')]);
    const seen = await b.request('GET', paths.app('shared'));
    assert.equal(seen.status, 200, JSON.stringify(seen.body));
    assert.deepEqual(seen.body.microservices.map((service: any) => [service.name, service.revision, service.uid]), created.microservices.map((service: any) => [service.name, service.revision, service.uid]));
  });

  it("shows at once, in a replica's cached GET, an upgrade made through the other", async () => {
    await createApp(a, 'cached', [statelessService('web')]);
    const path = paths.service('cached', 'web');
    // Read twice through A: the second answer comes from A's cache.
    assert.equal((await a.request('GET', path)).body.revision, 1);
    assert.equal((await a.request('GET', path)).body.revision, 1);
    const upgraded = await b.request('PUT', paths.action('cached', 'web', 'upgrade'), { containers: [{ name: 'container-0', image: 'reg.qiniu.com/library/alpine:3.20' }] });
    assert.equal(upgraded.status, 200, JSON.stringify(upgraded.body));
    const seen = await eventually(() => a.request('GET', path), (answer) => answer.body.revision === 2, 2000);
    assert.equal(seen.body.containers[0].image, 'reg.qiniu.com/library/alpine:3.20');
  });

  it('one replica leads the region: both name it, and only its runtime runs pods', async () => {
    const [healthA, healthB] = await Promise.all([a.request('GET', '/healthz'), b.request('GET', '/healthz')]);
    assert.deepEqual([healthA.body.leads, healthB.body.leads], [['local'], []], 'A started first and leads');
    for (const replica of [a, b]) {
      const [local] = (await replica.request('GET', '/v1/regions')).body;
      assert.equal(local.leader?.replica, healthA.body.replica);
    }
    await createApp(a, 'led', [statelessService('web')]);
    await a.waitForService(paths.service('led', 'web'), isRunning);
    assert.deepEqual(b.simulated.observe({ region: 'local', project: 'proj', app: 'led', service: 'web' }).pods, [], "B's controller created nothing in its own (simulated) engine");
  });

  it("wakes a replica's change-feed listeners and controller with the other's writes", async () => {
    const fed: string[] = [];
    a.store.onCommit((changed) => fed.push(...changed.map(keyString)));
    const created = await b.request('POST', paths.apps, { name: 'woken', microservices: [statelessService('web')] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const key = { region: 'local', project: 'proj', app: 'woken', service: 'web' };
    await eventually(async () => fed, (keys) => keys.includes(keyString(key)), 2000);
    // A's own runtime runs the pods only if A's controller reconciled the service: it never resyncs here.
    await a.waitForService(paths.service('woken', 'web'), isRunning);
  });

  it('catches up after its change-feed connection is lost: the writes it missed show, none from its cache', async () => {
    await createApp(a, 'lost', [statelessService('web')]);
    const path = paths.service('lost', 'web');
    assert.equal((await a.request('GET', path)).body.instanceNumber, 1);
    // Ends every change-feed connection of this database: both replicas' LISTEN connections drop.
    const admin = new pg.Client({ connectionString: a.databaseUrl });
    await admin.connect();
    const listeners = async (): Promise<number> =>
      (await admin.query('SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()', [CHANGE_FEED_APPLICATION])).rowCount ?? 0;
    try {
      const ended = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()', [CHANGE_FEED_APPLICATION]);
      assert.ok(ended.rowCount === 2, `both replicas listened: ${ended.rowCount} change-feed connection(s) ended`);
      const scaled = await b.request('PUT', paths.action('lost', 'web', 'scale/3'));
      assert.equal(scaled.status, 204, JSON.stringify(scaled.body));
      await eventually(() => a.request('GET', path), (answer) => answer.body.instanceNumber === 3, 5000);
      // Listening again, A sees B's next write through the feed.
      await eventually(listeners, (count) => count === 2, 10_000);
      assert.equal((await a.request('GET', path)).body.instanceNumber, 3);
      assert.equal((await b.request('PUT', paths.action('lost', 'web', 'scale/2'))).status, 204);
      await eventually(() => a.request('GET', path), (answer) => answer.body.instanceNumber === 2, 2000);
    } finally {
      await admin.end();
    }
  });

  // Last: A goes.
  it('hands the region over when its leader stops: the other replica takes the lease at once and runs the pods', async () => {
    await createApp(b, 'handover', [statelessService('web')]);
    const replicaB = (await b.request('GET', '/healthz')).body.replica;
    // Closed, not stopped: A's stop would drop the database B runs on (after() stops both).
    await a.close();
    // A gave its lease up: B takes it within a retry period (2.5 s of the default 15 s lease), not a lease.
    await eventually(() => b.request('GET', '/healthz'), (answer) => answer.body.leads.includes('local'), 5000);
    assert.equal((await b.request('GET', '/v1/regions')).body[0].leader.replica, replicaB);
    await b.waitForService(paths.service('handover', 'web'), isRunning);
  });
});
