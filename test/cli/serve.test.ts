import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { apiPaths, eventually } from '../support/api.js';
import { dropDatabaseOf } from '../support/database.js';
import { startServerProcess } from '../support/server-process.js';
import { startWharf } from '../support/wharf.js';

const paths = apiPaths();
const SERVICES = 100;
/** A project's default quota is 100 services; two apps share them. */
const APPS = ['front', 'back'];

/** The server's pino lines, in order (anything else it printed left out). */
function logLines(output: string): Array<{ msg?: string; component?: string }> {
  return output.split('\n').flatMap((line) => {
    try {
      return [JSON.parse(line) as { msg?: string; component?: string }];
    } catch {
      return [];
    }
  });
}

describe('wharf serve', () => {
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-serve-'));
  });
  after(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await dropDatabaseOf(dataDir);
  });

  it("listens before the controller's first pass: the API answers while it creates every service's pods", async () => {
    // A store of services whose pods are gone (the simulated runtime keeps them in memory): the next start creates them all.
    const seeding = await startWharf({ dataDir });
    try {
      const perApp = SERVICES / APPS.length;
      for (const app of APPS) {
        const microservices = Array.from({ length: perApp }, (_, index) => ({
          name: `s${index}`, type: 'stateless', resourceSpec: '1U1G', instanceNumber: 1, containers: [{ name: 'main', image: 'web:1' }],
        }));
        const created = await seeding.request('POST', paths.apps, { name: app, microservices });
        assert.equal(created.status, 201, JSON.stringify(created.body));
      }
    } finally {
      await seeding.stop();
    }

    const server = await startServerProcess(dataDir, { WHARF_LOG_LEVEL: 'info' });
    try {
      const running = (apps: any[]): boolean => apps.flatMap((app) => app.microservices).filter((service) => service.status.phase === 'running').length === SERVICES;
      await eventually(async () => (await server.request('GET', paths.apps)).body, running, 30_000);
      const lines = logLines(server.output());
      const listening = lines.findIndex((line) => line.msg?.startsWith('Server listening at '));
      const creates = lines.flatMap((line, index) => (line.component === 'controller' && line.msg?.startsWith('create ') ? [index] : []));
      assert.ok(listening >= 0, `the server says it listens:\n${server.output()}`);
      assert.equal(creates.length, SERVICES, 'the first pass created a pod for every service');
      assert.ok(listening < creates[0]!, `the port opened (line ${listening}) before the first pod was created (line ${creates[0]})`);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });
});
