import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { apiV2Paths } from '../support/api.js';
import { cliOk, SERVICE, startCliServer, undocumentedRoutes, type CliServer } from '../support/cli.js';

const v2 = apiV2Paths('local', 'proj');

describe('wharf and V2 services (directly under the project, named /SERVICE): as a process against a server', () => {
  let server: CliServer;
  const ok = (...args: string[]): Promise<string> => cliOk(server, ...args);

  before(async () => {
    server = await startCliServer();
    writeFileSync(join(server.configHome, 'api.json'), JSON.stringify({ ...SERVICE, name: 'api', instanceNumber: 1 }));
  });
  after(async () => {
    await server?.stop();
  });

  it('creates one without an app, scales, reads and deletes it', async () => {
    assert.equal(await ok('services', 'create', '-f', join(server.configHome, 'api.json')), 'service /api created (revision 1)\n');
    const [scaled, got] = await Promise.all([ok('scale', '/api', '2'), ok('services', 'get', '/api', '-o', 'json')]);
    assert.equal(scaled, 'service /api scaled to 2\n');
    assert.equal((await server.wharf.request('GET', v2.service('api'))).body.instanceNumber, 2);
    assert.equal(JSON.parse(got).appName, '', 'a V2 service has the empty app');
    assert.equal(await ok('services', 'delete', '/api'), 'service /api deleted\n');
    assert.equal((await server.wharf.request('GET', v2.service('api'))).status, 404);
    assert.deepEqual(await undocumentedRoutes(server), []);
  });
});
