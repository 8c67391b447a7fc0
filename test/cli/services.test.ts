import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { apiPaths } from '../support/api.js';
import { cliOk, SERVICE, startCliServer, undocumentedRoutes, type CliServer } from '../support/cli.js';

const paths = apiPaths('local', 'proj');

describe('wharf apps, services, pods, projects: created and read as a process against a server', () => {
  let server: CliServer;
  const ok = (...args: string[]): Promise<string> => cliOk(server, ...args);

  before(async () => {
    server = await startCliServer();
    writeFileSync(join(server.configHome, 'web.yaml'), stringify(SERVICE));
  });
  after(async () => {
    await server?.stop();
  });

  it('creates an app and a service from YAML and reads them back as tables, JSON and YAML', async () => {
    assert.equal(await ok('apps', 'create', 'shop'), 'app shop created\n');
    assert.equal(await ok('services', 'create', 'shop', '-f', join(server.configHome, 'web.yaml')), 'service shop/web created (revision 1)\n');
    const running = await server.wharf.waitForService(paths.service('shop', 'web'), (service) => service.status.phase === 'running' && service.status.rollout.state === 'complete');

    const [table, wide, json, yaml, app, apps, projects, pods] = await Promise.all([
      ok('services', 'ls', 'shop'),
      ok('services', 'ls', '-o', 'wide'),
      ok('services', 'get', 'shop/web', '-o', 'json'),
      ok('services', 'get', 'shop/web', '-o', 'yaml'),
      ok('apps', 'get', 'shop', '-o', 'json'),
      ok('apps', 'ls'),
      ok('projects', 'ls'),
      ok('pods', 'ls', 'shop/web'),
    ]);
    assert.match(table, /^SERVICE\s+TYPE\s+STATUS\s+READY\s+UP-TO-DATE\s+REVISION\s+ROLLOUT\s+AGE\nshop\/web\s+stateless\s+running\s+2\/2\s+2\s+1\s+complete\s+\d+s\n$/);
    assert.match(wide, /SPEC\s+IMAGES\nshop\/web\s.*1U1G\s+main=wharf-e2e\/app:1\n$/, 'without APP: every service of the project, and -o wide has more columns');
    assert.deepEqual(JSON.parse(json), running);
    assert.deepEqual(parse(yaml), running);
    assert.deepEqual(JSON.parse(app), (await server.wharf.request('GET', paths.app('shop'))).body);
    assert.match(apps, /^NAME\s+SERVICES\s+AGE\nshop\s+1\s+\d+s\n$/);
    assert.match(projects, /^NAME\s+APPS\nproj\s+1\n$/);
    assert.deepEqual(
      pods.trim().split('\n').slice(1).map((line) => line.split(/\s+/).slice(0, 5)),
      running.pods.map((pod: any) => [pod.name, 'running', '1/1', '0', '1']),
    );
  });

  it('called only routes that /openapi.json documents', async () => {
    assert.deepEqual(await undocumentedRoutes(server), []);
    assert.ok(server.routes.size >= 8, `the commands called the routes: ${[...server.routes].join(', ')}`);
  });
});
