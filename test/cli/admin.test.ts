import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiPaths } from '../support/api.js';
import { cliOk, startCliServer, undocumentedRoutes, type CliServer } from '../support/cli.js';

const paths = apiPaths('local', 'proj');

describe('wharf regions, resourcespecs, storagetypes, tokens, quota: as a process against a server', () => {
  let server: CliServer;
  const ok = (...args: string[]): Promise<string> => cliOk(server, ...args);

  before(async () => {
    server = await startCliServer();
  });
  after(async () => {
    await server?.stop();
  });

  it('lists what the server and its region offer', async () => {
    const [regions, wide, specs, storageTypes] = await Promise.all([
      ok('regions', 'ls'),
      ok('regions', 'ls', '-o', 'wide'),
      ok('resourcespecs', 'ls'),
      ok('storagetypes', 'ls', '-o', 'json'),
    ]);
    assert.equal(regions, 'NAME    RUNTIME     SIMULATED\nlocal   simulated   true\n');
    assert.match(wide, /^NAME\s+RUNTIME\s+SIMULATED\s+DESCRIPTION\nlocal\s+simulated\s+true\s+simulated: /);
    assert.match(specs, /^NAME\s+CPU\s+MEMORY\(MB\)\s+DESC\n1U1G\s+1\s+1024\s/);
    assert.match(specs, /\n2U4G\s+2\s+4096\s/);
    assert.deepEqual(JSON.parse(storageTypes), (await server.wharf.request('GET', '/regions/local/v1/storagetypes')).body);
  });

  it('creates a token (its secret printed then, and only then), lists and revokes it', async () => {
    const created = await ok('tokens', 'create', 'ci', '--projects', 'proj');
    const secret = /\n(\S+)\n$/.exec(created)?.[1];
    assert.ok(secret, `the secret is printed: ${created}`);
    assert.equal((await server.wharf.request('GET', paths.apps, undefined, { token: secret })).status, 200, 'and it works');
    const listed = await ok('tokens', 'ls');
    assert.match(listed, /^ID\s+NAME\s+PROJECTS\s+ADMIN\s+EXPIRES\s+REVOKED\s+AGE\n\S+\s+ci\s+proj\s+false\s+never\s+<none>\s+\d+s\n$/);
    assert.ok(!listed.includes(secret), 'the list never shows it');
    const id = listed.split('\n')[1]!.split(/\s+/)[0]!;
    assert.equal(await ok('tokens', 'delete', id), `token ${id} revoked\n`);
    assert.equal((await server.wharf.request('GET', paths.apps, undefined, { token: secret })).status, 401);
  });

  it("sets, reads and resets the project's quota", async () => {
    assert.match(await ok('quota', 'set', 'pods=50', 'cpu=8'), /^RESOURCE\s+USED\s+LIMIT\s+SOURCE\nservices\s+0\s+unlimited\s+project\npods\s+0\s+50\s+project\n/);
    assert.deepEqual(JSON.parse(await ok('quota', 'get', '-o', 'json')).limits, { pods: 50, cpu: 8 });
    assert.equal(await ok('quota', 'reset'), "quota of proj reset to the region's default\n");
    assert.equal((await server.wharf.request('GET', paths.quota)).body.source, 'region');
  });

  it('called only routes that /openapi.json documents', async () => {
    assert.deepEqual(await undocumentedRoutes(server), []);
  });
});
