import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiPaths } from '../support/api.js';
import { cli, cliOk, SERVICE, startCliServer, undocumentedRoutes, type CliServer } from '../support/cli.js';

const paths = apiPaths('local', 'proj');

describe('wharf scale, set image, set ports, revisions, stop, start, delete: as a process against a server', () => {
  let server: CliServer;
  const ok = (...args: string[]): Promise<string> => cliOk(server, ...args);
  const service = async (): Promise<any> => (await server.wharf.request('GET', paths.service('shop', 'web'))).body;

  before(async () => {
    server = await startCliServer();
    const created = await server.wharf.request('POST', paths.apps, { name: 'shop', microservices: [SERVICE] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });
  after(async () => {
    await server?.stop();
  });

  it('scales, and sets an image: an upgrade of that one field', async () => {
    assert.equal(await ok('scale', 'shop/web', '3'), 'service shop/web scaled to 3\n');
    assert.equal((await service()).instanceNumber, 3);

    assert.equal(await ok('set', 'image', 'shop/web', 'main=wharf-e2e/app:2'), 'service shop/web image main=wharf-e2e/app:2 (revision 2)\n');
    assert.deepEqual(
      (await service()).containers.map(({ name, image, command, args }: any) => ({ name, image, command, args })),
      [{ name: 'main', image: 'wharf-e2e/app:2', command: ['/bin/app'], args: ['--port', '80'] }],
      'only the image changed',
    );
    const [again, unknown, revisions] = await Promise.all([
      ok('set', 'image', 'shop/web', 'main=wharf-e2e/app:2'),
      cli(server, 'set', 'image', 'shop/web', 'nope=wharf-e2e/app:2'),
      ok('revisions', 'ls', 'shop/web'),
    ]);
    assert.match(again, /\(unchanged\)\n$/, 'the same image again opens no revision');
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, 'error: no container "nope" in service shop/web (has: main)\n');
    assert.match(revisions, /^REVISION\s+SPEC\s+IMAGES\s+AGE\n1\s+1U1G\s+main=wharf-e2e\/app:1\s+\d+s\n2\s+1U1G\s+main=wharf-e2e\/app:2\s+\d+s\n$/);
  });

  it('sets ports, stops and starts', async () => {
    assert.equal(await ok('set', 'ports', 'shop/web', '80', '53/udp', '8443/TCP:443'), 'service shop/web ports 80/TCP 53/UDP 8443/TCP\n');
    assert.deepEqual((await service()).ports, [
      { port: 80, protocol: 'TCP' },
      { port: 53, protocol: 'UDP' },
      { port: 8443, protocol: 'TCP', servicePort: 443 },
    ]);
    assert.equal(await ok('stop', 'shop/web'), 'service shop/web stopped\n');
    await server.wharf.waitForService(paths.service('shop', 'web'), (candidate) => candidate.status.phase === 'stopped');
    assert.equal(await ok('start', 'shop/web'), 'service shop/web started\n');
    await server.wharf.waitForService(paths.service('shop', 'web'), (candidate) => candidate.status.phase === 'running');
  });

  it('deletes a service and an app', async () => {
    assert.equal(await ok('services', 'delete', 'shop/web'), 'service shop/web deleted\n');
    assert.equal(await ok('apps', 'delete', 'shop'), 'app shop deleted\n');
    assert.equal((await server.wharf.request('GET', paths.app('shop'))).status, 404);
  });

  it('called only routes that /openapi.json documents', async () => {
    assert.deepEqual(await undocumentedRoutes(server), []);
  });
});
