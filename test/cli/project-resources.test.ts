import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { apiPaths } from '../support/api.js';
import { cliOk, startCliServer, undocumentedRoutes, type CliServer } from '../support/cli.js';

const paths = apiPaths('local', 'proj');

describe('wharf configmaps and volumes: as a process against a server', () => {
  let server: CliServer;
  const ok = (...args: string[]): Promise<string> => cliOk(server, ...args);
  const api = async (path: string): Promise<any> => (await server.wharf.request('GET', path)).body;

  before(async () => {
    server = await startCliServer();
    writeFileSync(join(server.configHome, 'greeting.txt'), 'hello\n');
  });
  after(async () => {
    await server?.stop();
  });

  it('creates a ConfigMap from literals and files, updates, reads and deletes it', async () => {
    assert.equal(await ok('configmaps', 'create', 'settings', '--from-literal', 'mode=on', '--from-file', join(server.configHome, 'greeting.txt')), 'configmap settings created\n');
    assert.deepEqual((await api(paths.configMap('settings'))).data, { mode: 'on', 'greeting.txt': 'hello\n' });
    assert.equal(await ok('configmaps', 'update', 'settings', '--from-literal', 'mode=off'), 'configmap settings updated (version 2)\n');
    const [yaml, table] = await Promise.all([ok('configmaps', 'get', 'settings', '-o', 'yaml'), ok('configmaps', 'ls')]);
    assert.deepEqual(parse(yaml), await api(paths.configMap('settings')));
    assert.match(table, /^NAME\s+KEYS\s+VERSION\s+AGE\nsettings\s+1\s+2\s+\d+s\n$/);
    assert.equal(await ok('configmaps', 'delete', 'settings'), 'configmap settings deleting\n');
  });

  it('creates a volume, reads and deletes it', async () => {
    assert.equal(await ok('volumes', 'create', 'data', '--size', '3'), 'volume data created (3 GiB, local)\n');
    const [table, json] = await Promise.all([ok('volumes', 'ls'), ok('volumes', 'get', 'data', '-o', 'json')]);
    assert.match(table, /^NAME\s+SIZE\(GiB\)\s+TYPE\s+STATUS\s+MOUNTED BY\s+AGE\ndata\s+3\s+local\s+\w+\s+<none>\s+\d+s\n$/);
    assert.deepEqual(JSON.parse(json), await api(paths.volume('data')));
    assert.equal(await ok('volumes', 'delete', 'data'), 'volume data deleting\n');
  });

  it('called only routes that /openapi.json documents', async () => {
    assert.deepEqual(await undocumentedRoutes(server), []);
  });
});
