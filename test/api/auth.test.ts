import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { apiPaths, assertError, assertInvalid, createApp, type Credentials } from '../support/api.js';
import { openTestDatabase } from '../support/database.js';
import { startWharf, statefulService, statelessService, type TestWharf } from '../support/wharf.js';

interface Call {
  family: string;
  method: string;
  url: string;
  body?: unknown;
}

/** A sample of every route family, aimed at app `shop` (services `web`, `db`) of `project`. */
function projectCalls(project: string): Call[] {
  const paths = apiPaths('local', project);
  return [
    { family: 'apps', method: 'GET', url: paths.apps },
    { family: 'apps', method: 'POST', url: paths.apps, body: { name: 'intruder' } },
    { family: 'apps', method: 'GET', url: paths.app('shop') },
    { family: 'apps', method: 'DELETE', url: paths.app('shop') },
    { family: 'microservices', method: 'GET', url: paths.services('shop') },
    { family: 'microservices', method: 'POST', url: paths.services('shop'), body: statelessService('intruder') },
    { family: 'microservices', method: 'GET', url: paths.service('shop', 'web') },
    { family: 'microservices', method: 'DELETE', url: paths.service('shop', 'web') },
    { family: 'actions', method: 'PUT', url: paths.action('shop', 'web', 'stop') },
    { family: 'actions', method: 'PUT', url: paths.action('shop', 'web', 'start') },
    { family: 'actions', method: 'PUT', url: paths.action('shop', 'web', 'scale/3') },
    { family: 'actions', method: 'PUT', url: paths.action('shop', 'web', 'upgrade'), body: { resourceSpec: '2U4G' } },
    { family: 'actions', method: 'PUT', url: paths.action('shop', 'web', 'ports'), body: { ports: [] } },
    { family: 'revisions', method: 'GET', url: paths.revisions('shop', 'web') },
    { family: 'revisions', method: 'PUT', url: paths.rollback('shop', 'web', 1) },
    { family: 'configmaps', method: 'GET', url: paths.configMaps },
    { family: 'configmaps', method: 'POST', url: paths.configMaps, body: { name: 'intruder', data: { key: 'value' } } },
    { family: 'configmaps', method: 'GET', url: paths.configMap('cm') },
    { family: 'configmaps', method: 'PUT', url: paths.configMap('cm'), body: { data: { key1: 'changed' } } },
    { family: 'configmaps', method: 'DELETE', url: paths.configMap('spare') },
    { family: 'volumes', method: 'GET', url: paths.volumes },
    { family: 'volumes', method: 'POST', url: paths.volumes, body: { name: 'intruder', size: 1 } },
    { family: 'volumes', method: 'GET', url: paths.volume('ceph-name') },
    { family: 'volumes', method: 'DELETE', url: paths.volume('spare') },
    { family: 'quota', method: 'GET', url: paths.quota },
    { family: 'quota', method: 'PUT', url: paths.quota, body: { pods: 1000 } },
    { family: 'quota', method: 'DELETE', url: paths.quota },
  ];
}

const TOKEN_CALLS: Call[] = [
  { family: 'tokens', method: 'GET', url: '/v1/tokens' },
  { family: 'tokens', method: 'POST', url: '/v1/tokens', body: { name: 'escalate', projects: [], admin: true } },
  { family: 'tokens', method: 'DELETE', url: '/v1/tokens/0123456789abcdef' },
];

const SHARED_CALLS: Call[] = [
  { family: 'regions', method: 'GET', url: '/v1/regions' },
  { family: 'resource specs', method: 'GET', url: apiPaths().resourceSpecs },
];

const EVERY_CALL = [...projectCalls('proj'), ...TOKEN_CALLS, ...SHARED_CALLS];

describe('authentication and authorization', () => {
  let wharf: TestWharf;
  /** Tokens made through the API, by what they are. */
  const tokens: Record<'proj' | 'expiring' | 'revoked' | 'admin', { id: string; token: string }> = {} as never;

  const createToken = async (body: Record<string, unknown>): Promise<any> => {
    const answer = await wharf.request('POST', '/v1/tokens', body);
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    return answer.body;
  };

  /** What a project looks like to the admin: the proof that a refused call changed nothing. */
  const snapshot = async (project: string): Promise<unknown> => {
    const paths = apiPaths('local', project);
    const apps = (await wharf.request('GET', paths.apps)).body;
    return {
      apps: apps.map((app: any) => ({
        name: app.name,
        services: app.microservices.map((service: any) => [service.name, service.revision, service.instanceNumber, service.resourceSpec, service.ports]),
      })),
      configMaps: (await wharf.request('GET', paths.configMaps)).body,
      volumes: (await wharf.request('GET', paths.volumes)).body,
    };
  };

  const expectAll = async (calls: Call[], credentials: Credentials, check: (answer: any, call: Call) => void): Promise<void> => {
    for (const call of calls) check(await wharf.request(call.method, call.url, call.body, credentials), call);
  };

  before(async () => {
    wharf = await startWharf();
    for (const project of ['proj', 'other']) {
      const paths = apiPaths('local', project);
      await createApp(wharf, 'shop', [statelessService('web'), statefulService('db')], paths);
      for (const name of ['cm', 'spare']) assert.equal((await wharf.request('POST', paths.configMaps, { name, data: { key1: 'v' } })).status, 201);
      assert.equal((await wharf.request('POST', paths.volumes, { name: 'spare', size: 1 })).status, 201);
    }
    tokens.proj = await createToken({ name: 'team proj', projects: ['proj'] });
    tokens.expiring = await createToken({ name: 'short', projects: ['proj'], expiresAt: new Date(Date.now() + 1000).toISOString() });
    tokens.revoked = await createToken({ name: 'leaked', projects: ['proj'] });
    tokens.admin = await createToken({ name: 'second admin', projects: [], admin: true });
    assert.equal((await wharf.request('DELETE', `/v1/tokens/${tokens.revoked.id}`)).status, 204);
  });
  after(async () => wharf.stop());

  it('401 Unauthorized without a token, on every route family, changing nothing', async () => {
    const before = await snapshot('proj');
    await expectAll(EVERY_CALL, 'none', (answer) => assertError(answer, 401, 'Unauthorized', 'X-Auth-Token'));
    assert.deepEqual(await snapshot('proj'), before);
  });

  it('401 Unauthorized for an unknown token or a known id with a wrong secret', async () => {
    const wrongSecret = `wharf_${tokens.proj.id}_${'A'.repeat(43)}`;
    for (const token of ['nonsense', wrongSecret, `${tokens.proj.token}x`, wharf.adminToken.slice(0, -1)]) {
      await expectAll(EVERY_CALL, { token }, (answer) => assertError(answer, 401, 'Unauthorized', 'not known'));
    }
  });

  it('401 Unauthorized for a revoked token, from the request after the DELETE on', async () => {
    await expectAll(EVERY_CALL, { token: tokens.revoked.token }, (answer) => assertError(answer, 401, 'Unauthorized', 'revoked'));
    const fresh = await createToken({ name: 'revoke me', projects: ['proj'] });
    assert.equal((await wharf.request('GET', apiPaths().apps, undefined, { token: fresh.token })).status, 200);
    assert.equal((await wharf.request('DELETE', `/v1/tokens/${fresh.id}`)).status, 204);
    assertError(await wharf.request('GET', apiPaths().apps, undefined, { token: fresh.token }), 401, 'Unauthorized', 'revoked');
  });

  it('401 Unauthorized for an expired token', async () => {
    const expiresAt = Date.parse((await wharf.request('GET', '/v1/tokens')).body.find((token: any) => token.id === tokens.expiring.id).expiresAt);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now() + 20)));
    await expectAll(EVERY_CALL, { token: tokens.expiring.token }, (answer) => assertError(answer, 401, 'Unauthorized', 'expired'));
  });

  it('a project token gets the same 403 on another project whether it exists or not, and changes nothing', async () => {
    const before = await snapshot('other');
    const existing = projectCalls('other');
    const missing = projectCalls('ghost');
    for (const [index, call] of existing.entries()) {
      const onExisting = await wharf.request(call.method, call.url, call.body, { token: tokens.proj.token });
      const onMissing = await wharf.request(missing[index]!.method, missing[index]!.url, missing[index]!.body, { token: tokens.proj.token });
      assertError(onExisting, 403, 'OperationForbbiden', '"other"');
      assert.deepEqual(
        { ...onMissing, headers: undefined, body: { ...onMissing.body, message: onMissing.body.message.replace('ghost', 'other') } },
        { ...onExisting, headers: undefined },
        `${call.method} ${call.url}: the answer tells whether the project exists`,
      );
    }
    assert.deepEqual(await snapshot('other'), before);
    // Refused before the region is looked up: an unknown region tells nothing either.
    assertError(await wharf.request('GET', apiPaths('atlantis', 'other').apps, undefined, { token: tokens.proj.token }), 403, 'OperationForbbiden');
  });

  it('a project token may not manage tokens', async () => {
    const before = (await wharf.request('GET', '/v1/tokens')).body;
    await expectAll(TOKEN_CALLS, { token: tokens.proj.token }, (answer) => assertError(answer, 403, 'OperationForbbiden', 'admin'));
    const revokeAnother = await wharf.request('DELETE', `/v1/tokens/${tokens.admin.id}`, undefined, { token: tokens.proj.token });
    assertError(revokeAnother, 403, 'OperationForbbiden', 'admin');
    assert.deepEqual((await wharf.request('GET', '/v1/tokens')).body, before, 'no token was made or revoked');
  });

  it('a project token does everything in its own project, and reads regions and resource specs', async () => {
    await exerciseProject({ token: tokens.proj.token }, 'proj', 'mine');
  });

  it('the admin token and an admin token made through the API do everything, everywhere', async () => {
    await exerciseProject({ token: wharf.adminToken }, 'other', 'byenv');
    await exerciseProject({ token: tokens.admin.token }, 'fresh', 'bytoken');
    await expectAll(TOKEN_CALLS.slice(0, 1), { token: tokens.admin.token }, (answer) => assert.equal(answer.status, 200));
  });

  it('decides on the route matched, so a percent-encoded path gets no further', async () => {
    assertError(await wharf.request('GET', '/%761/tokens', undefined, 'none'), 401, 'Unauthorized');
    assertError(await wharf.request('GET', '/regions/local/v1/projects/%6Fther/apps', undefined, { token: tokens.proj.token }), 403, 'OperationForbbiden', '"other"');
  });

    it('takes the token as X-Auth-Token or as a bearer token (any case of "Bearer")', async () => {
    for (const token of [wharf.adminToken, tokens.proj.token]) {
      assert.equal((await wharf.request('GET', apiPaths().apps, undefined, { token, header: 'x-auth-token' })).status, 200);
      assert.equal((await wharf.request('GET', apiPaths().apps, undefined, { token, header: 'bearer' })).status, 200);
      const lowercase = await wharf.api.inject({ method: 'GET', url: apiPaths().apps, headers: { authorization: `bearer ${token}` } });
      assert.equal(lowercase.statusCode, 200);
    }
    const basic = await wharf.api.inject({ method: 'GET', url: apiPaths().apps, headers: { authorization: `Basic ${wharf.adminToken}` } });
    assert.equal(basic.statusCode, 401);
  });

  it('leaves /healthz, /openapi.json and /docs open, and documents both headers', async () => {
    for (const url of ['/healthz', '/openapi.json', '/docs', '/docs/json']) {
      const answer = await wharf.api.inject({ method: 'GET', url });
      assert.ok(answer.statusCode < 400, `${url} answered ${answer.statusCode}`);
    }
    const document = (await wharf.request('GET', '/openapi.json', undefined, 'none')).body;
    assert.deepEqual(document.components.securitySchemes, {
      authToken: { type: 'apiKey', in: 'header', name: 'X-Auth-Token' },
      bearerToken: { type: 'http', scheme: 'bearer' },
    });
    assert.deepEqual(document.security, [{ authToken: [] }, { bearerToken: [] }]);
    assert.ok(document.paths['/v1/tokens'].post, 'document.paths[\'/v1/tokens\'].post');
    assert.ok(document.paths['/v1/tokens/{id}'].delete, 'document.paths[\'/v1/tokens/{id}\'].delete');
  });

  /** Every route family with success answers, as `credentials`, in app `app` of `project`. */
  async function exerciseProject(credentials: Credentials, project: string, app: string): Promise<void> {
    const paths = apiPaths('local', project);
    const call = async (method: string, url: string, status: number, body?: unknown): Promise<any> => {
      const answer = await wharf.request(method, url, body, credentials);
      assert.equal(answer.status, status, `${method} ${url}: ${JSON.stringify(answer.body)}`);
      return answer.body;
    };
    assert.equal((await call('GET', '/v1/regions', 200))[0].name, 'local');
    assert.equal((await call('GET', paths.resourceSpecs, 200)).length, 4);
    await call('POST', paths.apps, 201, { name: app });
    assert.ok((await call('GET', paths.apps, 200)).some((listed: any) => listed.name === app), '(await call(\'GET\', paths.apps, 200)).some((listed: any) => listed.name === app)');
    await call('GET', paths.app(app), 200);
    await call('POST', paths.services(app), 201, statelessService('web'));
    await call('GET', paths.services(app), 200);
    await call('GET', paths.service(app, 'web'), 200);
    await call('PUT', paths.action(app, 'web', 'stop'), 204);
    await call('PUT', paths.action(app, 'web', 'start'), 204);
    await call('PUT', paths.action(app, 'web', 'scale/2'), 204);
    await call('PUT', paths.action(app, 'web', 'upgrade'), 200, { resourceSpec: '2U4G' });
    await call('PUT', paths.action(app, 'web', 'ports'), 200, { ports: [] });
    assert.equal((await call('GET', paths.revisions(app, 'web'), 200)).length, 2);
    await call('PUT', paths.rollback(app, 'web', 1), 204);
    await call('DELETE', paths.service(app, 'web'), 204);
    await call('DELETE', paths.app(app), 204);
    await call('POST', paths.configMaps, 201, { name: `${app}-config`, data: { key: 'value' } });
    await call('GET', paths.configMaps, 200);
    await call('PUT', paths.configMap(`${app}-config`), 200, { data: { key: 'new' } });
    await call('GET', paths.configMap(`${app}-config`), 200);
    await call('DELETE', paths.configMap(`${app}-config`), 202);
    await call('POST', paths.volumes, 201, { name: `${app}-data`, size: 1 });
    await call('GET', paths.volumes, 200);
    await call('GET', paths.volume(`${app}-data`), 200);
    await call('DELETE', paths.volume(`${app}-data`), 202);
  }
});

describe('token management', () => {
  let wharf: TestWharf;
  before(async () => {
    wharf = await startWharf();
  });
  after(async () => wharf.stop());

  it('creates a token whose secret is shown once, lists tokens without secrets, and stores only hashes', async () => {
    const expiresAt = '2999-01-01T00:00:00+02:00';
    const created = await wharf.request('POST', '/v1/tokens', { name: 'ci', projects: ['proj', 'web-shop'], expiresAt });
    assert.equal(created.status, 201);
    assert.deepEqual(Object.keys(created.body).sort(), ['admin', 'creationTime', 'expiresAt', 'id', 'name', 'projects', 'revokedAt', 'token']);
    assert.equal(created.body.expiresAt, '2998-12-31T22:00:00.000Z');
    assert.deepEqual(created.body.projects, ['proj', 'web-shop']);
    assert.equal(created.body.admin, false);
    assert.equal(created.body.revokedAt, null);
    const { token, ...listed } = created.body;

    const list = await wharf.request('GET', '/v1/tokens');
    assert.equal(list.status, 200);
    assert.deepEqual(list.body, [listed]);
    const secret = token.slice(`wharf_${created.body.id}_`.length);
    assert.ok(!JSON.stringify(list.body).includes(secret), 'the list holds no secret');

    const { db } = await openTestDatabase(wharf.dataDir);
    try {
      const row = await db.selectFrom('tokens').selectAll().where('id', '=', created.body.id).executeTakeFirstOrThrow();
      assert.equal(row.secret_hash, createHash('sha256').update(secret).digest('hex'));
      assert.ok(!Object.values(row).some((value) => String(value).includes(secret)), 'the secret is not stored');
    } finally {
      await db.destroy();
    }
  });

  it('revokes at once, keeps the revoked token listed, and 404s an unknown id', async () => {
    const created = (await wharf.request('POST', '/v1/tokens', { name: 'temp', projects: ['proj'] })).body;
    assert.equal((await wharf.request('DELETE', `/v1/tokens/${created.id}`)).status, 204);
    assert.equal((await wharf.request('DELETE', `/v1/tokens/${created.id}`)).status, 204, 'revoking again is harmless');
    const listed = (await wharf.request('GET', '/v1/tokens')).body.find((token: any) => token.id === created.id);
    assert.match(listed.revokedAt, /^\d{4}-\d\d-\d\dT/);
    assertError(await wharf.request('DELETE', '/v1/tokens/nope'), 404, 'NotFound', 'nope');
  });

  it('400 InvalidArgs naming the field for a bad token request', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ projects: ['proj'] }, 'name'],
      [{ name: '', projects: ['proj'] }, 'name'],
      [{ name: 'x' }, 'projects'],
      [{ name: 'x', projects: [] }, 'projects'],
      [{ name: 'x', projects: ['Not_A_Project'] }, 'projects[0]'],
      [{ name: 'x', projects: ['proj', 'proj'] }, 'projects'],
      [{ name: 'x', projects: ['proj'], admin: true }, 'projects'],
      [{ name: 'x', projects: ['proj'], expiresAt: 'tomorrow' }, 'expiresAt'],
      [{ name: 'x', projects: ['proj'], expiresAt: '2001-01-01T00:00:00Z' }, 'expiresAt'],
      [{ name: 'x', projects: ['proj'], scope: 'all' }, 'scope'],
    ];
    const before = (await wharf.request('GET', '/v1/tokens')).body;
    for (const [body, field] of cases) assertInvalid(await wharf.request('POST', '/v1/tokens?fieldValidation=Strict', body), field);
    assert.deepEqual((await wharf.request('GET', '/v1/tokens')).body, before, 'no token was made');
  });
});

describe('WHARF_AUTH=off (loopback only)', () => {
  it('lets every request in without a token', async () => {
    const wharf = await startWharf({ auth: 'off' });
    try {
      await createApp(wharf, 'open', [], apiPaths());
      assert.equal((await wharf.request('GET', apiPaths().apps, undefined, 'none')).status, 200);
      assert.equal((await wharf.request('GET', '/v1/tokens', undefined, 'none')).status, 200);
    } finally {
      await wharf.stop();
    }
  });
});
