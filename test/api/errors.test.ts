import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { apiPaths, assertError, assertInvalid, authHeaders, createApp, createService } from '../support/api.js';
import { startWharf, statefulService, statelessService, type TestWharf } from '../support/wharf.js';

const paths = apiPaths();

/** A valid service body whose JSON is exactly `bytes` long, padded with container args. */
function serviceOfExactly(bytes: number, name: string): string {
  const args: string[] = [];
  const text = () => JSON.stringify({ name, type: 'stateless', resourceSpec: '1U1G', containers: [{ image: 'x', args }] });
  while (text().length + 4096 + 3 <= bytes) args.push('a'.repeat(4096));
  args.push('');
  args[args.length - 1] = 'a'.repeat(bytes - text().length);
  const body = text();
  assert.equal(Buffer.byteLength(body), bytes);
  return body;
}

describe('error answers', () => {
  let wharf: TestWharf;
  before(async () => {
    wharf = await startWharf();
    await createApp(wharf, 'app0', [statelessService('web'), statefulService('db')]);
  });
  after(async () => wharf.stop());

  /** Sends `payload` as it is, labelled application/json. */
  const sendJson = async (method: string, url: string, payload: string) => {
    const headers = { 'content-type': 'application/json', ...authHeaders({ token: wharf.adminToken }) };
    const answer = await wharf.api.inject({ method: method as 'POST', url, headers, payload });
    return { status: answer.statusCode, body: answer.body === '' ? undefined : answer.json() };
  };

  it('InvalidArgs 400 names the field', async () => {
    assertInvalid(await wharf.request('POST', paths.services('app0'), statelessService('x', { resourceSpec: '3U3G' })), 'resourceSpec');
  });

  it('OperationForbbiden 403 for scaling a stateful service', async () => {
    assertError(await wharf.request('PUT', paths.action('app0', 'db', 'scale/3')), 403, 'OperationForbbiden', 'db');
  });

  it('SpaceNotFound 404 where the seed names it, listing the services of a project with nothing in it; AppNotFound elsewhere', async () => {
    const elsewhere = apiPaths('local', 'void');
    assertError(await wharf.request('GET', elsewhere.services('app0')), 404, 'SpaceNotFound', 'void');
    assertError(await wharf.request('GET', elsewhere.app('app0')), 404, 'AppNotFound', 'app0');
    assertError(await wharf.request('DELETE', elsewhere.app('app0')), 404, 'AppNotFound', 'app0');
    assertError(await wharf.request('POST', elsewhere.services('app0'), statelessService('web')), 404, 'AppNotFound', 'app0');
    assertError(await wharf.request('GET', elsewhere.service('app0', 'web')), 404, 'AppNotFound', 'app0');
  });

  it('AppNotFound 404 for a missing app of an existing project', async () => {
    assertError(await wharf.request('GET', paths.app('nope')), 404, 'AppNotFound', 'nope');
    assertError(await wharf.request('GET', paths.services('nope')), 404, 'AppNotFound', 'nope');
    assertError(await wharf.request('POST', paths.services('nope'), statelessService('web')), 404, 'AppNotFound', 'nope');
    assertError(await wharf.request('DELETE', paths.app('nope')), 404, 'AppNotFound', 'nope');
  });

  it('ServiceNotFound 404 for a missing microservice', async () => {
    assertError(await wharf.request('GET', paths.service('app0', 'absent')), 404, 'ServiceNotFound', 'absent');
    assertError(await wharf.request('DELETE', paths.service('app0', 'absent')), 404, 'ServiceNotFound', 'absent');
  });

  it('RevisionNotFound 404 for a revision that was never made', async () => {
    assertError(await wharf.request('PUT', paths.rollback('app0', 'web', 42)), 404, 'RevisionNotFound', '42');
  });

  it('RegionNotFound 404 for an unknown region', async () => {
    assertError(await wharf.request('GET', apiPaths('mars').apps), 404, 'RegionNotFound', 'mars');
  });

  it('AppExists 409 and ServiceExists 409 for taken names', async () => {
    assertError(await wharf.request('POST', paths.apps, { name: 'app0' }), 409, 'AppExists', 'app0');
    assertError(await wharf.request('POST', paths.services('app0'), statelessService('web')), 409, 'ServiceExists', 'web');
    assertError(await wharf.request('POST', paths.services('app0'), statelessService('db')), 409, 'ServiceExists', 'db');
  });

  it('413 PayloadTooLarge for a body over 1 MiB, and nothing is created', async () => {
    const huge = statelessService('huge', { containers: [{ image: 'x', args: ['a'.repeat(1024 * 1024)] }] });
    assertError(await wharf.request('POST', paths.services('app0'), huge), 413, 'PayloadTooLarge', '1 MiB');
    assertError(await wharf.request('GET', paths.service('app0', 'huge')), 404, 'ServiceNotFound');
  });

  it('lets a Node client finish sending an 8 MiB body, so it reads the 413 instead of EPIPE', async () => {
    await wharf.api.listen({ port: 0, host: '127.0.0.1' });
    const { port } = wharf.api.server.address() as AddressInfo;
    const body = JSON.stringify({ name: 'big', data: { a: 'x'.repeat(8 * 1024 * 1024) } });
    // Every event of the exchange, until the connection is closed: an EPIPE may follow the answer.
    const seen = await new Promise<string[]>((resolve) => {
      const events: string[] = [];
      const sent = request(
        { port, host: '127.0.0.1', method: 'POST', path: apiPaths().configMaps, headers: { ...authHeaders({ token: wharf.adminToken }), 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (response) => {
          events.push(`status ${response.statusCode}`);
          response.resume();
        },
      );
      sent.on('error', (error: NodeJS.ErrnoException) => events.push(`error ${error.code}`));
      sent.on('close', () => resolve(events));
      sent.end(body);
    });
    assert.deepEqual(seen, ['status 413']);
  });

  it('takes a body of exactly 1 MiB', async () => {
    const body = serviceOfExactly(1024 * 1024, 'mebibyte');
    assert.equal((await sendJson('POST', paths.services('app0'), body)).status, 201);
    const over = serviceOfExactly(1024 * 1024 + 1, 'mebibyteplus');
    assertError(await sendJson('POST', paths.services('app0'), over), 413, 'PayloadTooLarge', '1 MiB');
  });

  it('says a name\'s rule in words, and names a bad ConfigMap key', async () => {
    assertInvalid(await wharf.request('POST', paths.apps, { name: 'My-App' }), 'name must be lowercase letters and digits, starting with a letter, at most 30 characters');
    assertInvalid(
      await wharf.request('POST', paths.services('app0'), statelessService('web-')),
      'name must be lowercase letters, digits and "-", starting with a letter and not ending with "-", at most 30 characters',
    );
    assertInvalid(await wharf.request('POST', paths.configMaps, { name: 'settings', data: { 'bad key': 'v' } }), 'data key "bad key" must be letters, digits');
  });

  it('400 InvalidArgs for a body that is not JSON', async () => {
    assertInvalid(await sendJson('POST', paths.services('app0'), '{"name": "broken",'), 'JSON');
  });

  it('400 InvalidArgs for a missing body', async () => {
    assertInvalid(await wharf.request('POST', paths.services('app0')), 'body');
    assertInvalid(await sendJson('POST', paths.services('app0'), ''), 'body');
    assertInvalid(await sendJson('PUT', paths.action('app0', 'web', 'upgrade'), ''), 'body');
  });

  it('400 InvalidArgs for a body that smuggles __proto__', async () => {
    const answer = await sendJson('POST', paths.apps, '{"name": "proto", "__proto__": {"polluted": true}}');
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error, 'InvalidArgs');
  });

  it('takes a JSON content type without a body as no body on bodiless actions', async () => {
    await createService(wharf, 'app0', statelessService('bodiless'));
    for (const action of ['stop', 'start', 'scale/2', 'revisions/1/rollback']) {
      const answer = await sendJson('PUT', paths.action('app0', 'bodiless', action), '');
      assert.equal(answer.status, 204, `${action}: ${JSON.stringify(answer.body)}`);
    }
    assert.equal((await sendJson('DELETE', paths.service('app0', 'bodiless'), '')).status, 204);
  });

  it('carries a request id on every answer, errors included', async () => {
    const answer = await wharf.api.inject({ method: 'GET', url: paths.app('nope'), headers: { 'x-request-id': 'trace-1', ...authHeaders({ token: wharf.adminToken }) } });
    assert.equal(answer.statusCode, 404);
    assert.equal(answer.headers['x-request-id'], 'trace-1');
  });

  it('gives every request without an id one of its own, different from any other', async () => {
    const ids = new Set<unknown>();
    for (let index = 0; index < 3; index++) ids.add((await wharf.request('GET', paths.app('nope'))).headers['x-request-id']);
    const other = await startWharf();
    try {
      ids.add((await other.request('GET', paths.app('nope'))).headers['x-request-id']);
    } finally {
      await other.stop();
    }
    assert.equal(ids.size, 4, `ids: ${[...ids].join(', ')}`);
  });

  it('answers an unknown route with a 404 error body', async () => {
    const answer = await wharf.request('GET', '/regions/local/v1/nothing-here');
    assert.equal(answer.status, 404);
    assert.deepEqual(Object.keys(answer.body).sort(), ['error', 'message']);
  });

  it('creates nothing after a 400', async () => {
    const before = await wharf.request('GET', paths.services('app0'));
    assertInvalid(await wharf.request('POST', paths.services('app0'), statelessService('bad', { instanceNumber: -1 })), 'instanceNumber');
    assertInvalid(await wharf.request('POST', paths.services('app0'), statelessService('bad', { instanceNumber: 51 })), 'instanceNumber');
    const after = await wharf.request('GET', paths.services('app0'));
    assert.deepEqual(after.body.map((service: any) => service.name), before.body.map((service: any) => service.name));
  });

  it('still serves a created service between errors', async () => {
    const created = await createService(wharf, 'app0', statelessService('fine'));
    assert.equal(created.name, 'fine');
  });
});
