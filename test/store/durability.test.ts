import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dropDatabaseOf } from '../support/database.js';
import { apiPaths, eventually, isRunning, isStopped } from '../support/api.js';
import { postInTwoParts, startServerProcess, type Answer, type ServerProcess } from '../support/server-process.js';
import { createSeedConfigMap, statefulService, statelessService } from '../support/wharf.js';

const paths = apiPaths();

function expectStatus(answer: Answer, status: number): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
}

async function waitForService(server: ServerProcess, path: string, predicate: (service: any) => boolean): Promise<any> {
  return eventually(async () => (await server.request('GET', path)).body, predicate, 10_000);
}

describe('durability of acknowledged writes', () => {
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-durability-'));
  });
  after(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await dropDatabaseOf(dataDir);
  });

  it('keeps every acknowledged write through a SIGKILL, and a restart reconciles every service', async () => {
    // The same replica restarting, as a crashed process under a supervisor: on PostgreSQL it takes
    // back its own lease at once instead of waiting out the dead process's (15 s by default).
    const replica = { WHARF_REPLICA_ID: 'durability-replica' };
    const first = await startServerProcess(dataDir, replica);
    try {
      // The second test's service reads it too: it finds it in the same data directory.
      await createSeedConfigMap(first);
      expectStatus(await first.request('POST', paths.apps, {
        name: 'shop',
        microservices: [statelessService('web', { instanceNumber: 2 }), statefulService('db'), statelessService('cache')],
      }), 201);
      expectStatus(await first.request('PUT', paths.action('shop', 'web', 'upgrade'), { containers: [{ name: 'main', image: 'web:2' }] }), 200);
      expectStatus(await first.request('PUT', paths.action('shop', 'web', 'scale/3')), 204);
      expectStatus(await first.request('PUT', paths.action('shop', 'db', 'stop')), 204);
      expectStatus(await first.request('PUT', paths.action('shop', 'web', 'ports'), { ports: [{ port: 9000, protocol: 'TCP' }] }), 200);
      expectStatus(await first.request('DELETE', paths.service('shop', 'cache')), 204);
      expectStatus(await first.request('POST', paths.apps, { name: 'blog', microservices: [statelessService('front')] }), 201);
    } finally {
      first.child.kill('SIGKILL');
    }
    assert.equal((await first.exited).signal, 'SIGKILL');

    const second = await startServerProcess(dataDir, replica);
    try {
      const apps = await second.request('GET', paths.apps);
      assert.deepEqual(apps.body.map((app: any) => [app.name, app.microservices.map((service: any) => service.name)]), [
        ['blog', ['front']],
        ['shop', ['db', 'web']],
      ]);

      const web = await waitForService(second, paths.service('shop', 'web'), isRunning);
      assert.equal(web.revision, 2);
      assert.equal(web.instanceNumber, 3);
      assert.equal(web.containers[0].image, 'web:2');
      assert.deepEqual(web.ports, [{ port: 9000, protocol: 'TCP' }]);
      assert.deepEqual(web.pods.map((pod: any) => pod.revision), [2, 2, 2]);
      const revisions = await second.request('GET', paths.revisions('shop', 'web'));
      assert.deepEqual(revisions.body.map((revision: any) => revision.revision), [1, 2]);

      const db = await waitForService(second, paths.service('shop', 'db'), isStopped);
      assert.equal(db.instanceNumber, 1);
      expectStatus(await second.request('GET', paths.service('shop', 'cache')), 404);
      await waitForService(second, apiPaths().service('blog', 'front'), isRunning);
    } finally {
      second.child.kill('SIGKILL');
      await second.exited;
    }
  });

  it('finishes a request in flight on SIGTERM, then exits 0 with the write kept', async () => {
    const server = await startServerProcess(dataDir);
    const upload = postInTwoParts(server.port, paths.apps, { name: 'inflight', microservices: [statelessService('web')] });
    try {
      await upload.started;
      expectStatus(await server.request('GET', '/healthz'), 200);
      server.child.kill('SIGTERM');
      await eventually(
        () => server.request('GET', '/healthz').then(() => 'answering', () => 'closed'),
        (state) => state === 'closed',
        10_000,
      );
      upload.finish();
      const answer = await upload.answer;
      expectStatus(answer, 201);
      assert.equal(answer.body.name, 'inflight');
      assert.deepEqual(await server.exited, { code: 0, signal: null });
    } finally {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
    }

    const again = await startServerProcess(dataDir);
    try {
      await waitForService(again, paths.service('inflight', 'web'), isRunning);
    } finally {
      again.child.kill('SIGKILL');
      await again.exited;
    }
  });
});
