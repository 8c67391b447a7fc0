import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiPaths, apiV2Paths, assertError, isRunning } from '../support/api.js';
import { GO_ZERO_TIME, goContainer, goService, sdkCall, useSdkWharf } from '../support/ke-sdk.js';
import { startWharf, type TestWharf } from '../support/wharf.js';

// The KE SDK's V2 API (microservices directly under a project), called as the Go SDK sends it.

const v1 = apiPaths('local', 'team');
const v2 = apiV2Paths('local', 'team');

describe('the V2 API in the KE Go SDK\'s wire shapes', () => {
  const sdk = useSdkWharf('team');
  const { call } = sdk;

  it('a project with nothing in the region: listing is SpaceNotFound, as in V1', async () => {
    assertError(await call('GET', v2.services), 404, 'SpaceNotFound', 'project "team"');
  });

  it('PostService → 201 with the service, its appName ""; a stateful one with Go\'s zero values', async () => {
    const created = await call('POST', v2.services, goService('web'));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.headers.warning, undefined, 'nothing the SDK sends is unknown');
    assert.equal(created.body.name, 'web');
    assert.equal(created.body.appName, '');
    assert.equal(created.body.projectName, 'team');
    assert.equal(created.body.revision, 1);
    assert.deepEqual(created.body.containers[0], {
      name: 'main', image: 'nginx:1', workingDir: '', command: ['/bin/sh'], args: ['-c', 'sleep 1000'], volumeMounts: [], configs: [], envs: [{ type: '', name: 'MODE', value: 'prod' }],
    });
    const db = await call('POST', v2.services, goService('db', {
      type: 'stateful',
      instanceNumber: 0,
      ports: null,
      containers: [goContainer('db', 'postgres:16', { volumeMounts: [{ volumeName: 'pgdata', readOnly: null, mountPath: '/var/lib/postgresql' }] })],
    }));
    assert.equal(db.status, 201, JSON.stringify(db.body));
    assert.equal(db.body.instanceNumber, 1);
  });

  it('ListService and GetService', async () => {
    const listed = await call('GET', v2.services);
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.map((one: any) => [one.name, one.appName]), [['db', ''], ['web', '']]);
    const one = await call('GET', v2.service('web'));
    assert.equal(one.status, 200);
    assert.equal(one.body.instanceNumber, 2);
    assert.ok(isRunning(await sdk.wharf().waitForService(v2.service('web'), isRunning)), 'its pods run');
  });

  it('a service a V2 path does not name is ServiceNotFound, naming the project, on every route', async () => {
    for (const [method, url] of [
      ['GET', v2.service('nope')],
      ['DELETE', v2.service('nope')],
      ['PUT', v2.action('nope', 'stop')],
      ['PUT', v2.action('nope', 'scale/2')],
      ['GET', v2.revisions('nope')],
      ['PUT', v2.rollback('nope', 1)],
    ] as const) {
      assertError(await call(method, url), 404, 'ServiceNotFound', 'microservice "nope" does not exist in project "team"');
    }
    assertError(await call('PUT', v2.action('nope', 'upgrade'), { resourceSpec: '2U4G', containers: null }), 404, 'ServiceNotFound');
    assertError(await call('PUT', v2.action('nope', 'ports'), { ports: [] }), 404, 'ServiceNotFound');
  });

  it('PostService of an existing name is 409 ServiceExists; an appName is refused', async () => {
    assertError(await call('POST', v2.services, goService('web')), 409, 'ServiceExists', 'microservice "web" already exists in project "team"');
    assertError(await call('POST', v2.services, goService('other', { appName: 'shop' })), 400, 'InvalidArgs', 'a V2 microservice belongs to no app');
  });

  it('ScaleService, StopService, StartService as empty form posts: 204', async () => {
    for (const action of ['scale/3', 'stop', 'start']) {
      const answer = await call('PUT', v2.action('web', action));
      assert.equal(answer.status, 204, `${action}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body, undefined, `${action}: no body`);
    }
    assert.equal((await call('GET', v2.service('web'))).body.instanceNumber, 3);
    assertError(await call('PUT', v2.action('db', 'scale/2')), 403, 'OperationForbbiden', 'stateful');
  });

  it('UpgradeService and UpdateServicePorts → 200 with the service', async () => {
    const upgraded = await call('PUT', v2.action('web', 'upgrade'), { resourceSpec: '', containers: [goContainer('main', 'nginx:2'), goContainer('side', 'busybox:1')] });
    assert.equal(upgraded.status, 200, JSON.stringify(upgraded.body));
    assert.equal(upgraded.body.revision, 2);
    assert.equal(upgraded.body.appName, '');
    assert.deepEqual(upgraded.body.containers[0].command, ['/bin/sh'], 'merged by name, as in V1');
    const ports = await call('PUT', v2.action('web', 'ports'), { ports: [{ port: 8080, protocol: 'UDP' }] });
    assert.equal(ports.status, 200, JSON.stringify(ports.body));
    assert.deepEqual(ports.body.ports, [{ port: 8080, protocol: 'UDP' }]);
  });

  it('ListServiceRevisions and RollbackService; an unknown revision is RevisionNotFound', async () => {
    const revisions = await call('GET', v2.revisions('web'));
    assert.equal(revisions.status, 200);
    assert.deepEqual(revisions.body.map((revision: any) => revision.revision), [1, 2]);
    assertError(await call('PUT', v2.rollback('web', 9)), 404, 'RevisionNotFound', 'revision 9');
    const rollback = await call('PUT', v2.rollback('web', 1));
    assert.equal(rollback.status, 204);
    const after = (await call('GET', v2.service('web'))).body;
    assert.equal(after.revision, 3);
    assert.equal(after.containers[0].image, 'nginx:1');
  });

  it('V1 listings never show the V2 app; the project list counts V1 apps only', async () => {
    assert.deepEqual((await call('GET', v1.apps)).body, [], 'no V1 app yet');
    assert.equal((await call('POST', v1.apps, { name: 'shop', projectName: '', creationTime: GO_ZERO_TIME, microservices: null })).status, 201);
    assert.deepEqual((await call('GET', v1.apps)).body.map((app: any) => app.name), ['shop']);
    const projects = await call('GET', '/regions/local/v1/projects');
    assert.deepEqual(projects.body, [{ name: 'team', description: '', appCount: 1 }]);
    const admin = await sdk.wharf().request('GET', '/regions/local/v1/projects');
    assert.ok(admin.body.some((project: any) => project.name === 'team' && project.appCount === 1), JSON.stringify(admin.body));
    assert.deepEqual((await call('GET', v1.services('shop'))).body, [], 'the V1 app holds none of the V2 services');
  });

  it('DeleteService → 204; the service is gone', async () => {
    assert.equal((await call('DELETE', v2.service('db'))).status, 204);
    assertError(await call('GET', v2.service('db')), 404, 'ServiceNotFound');
    assert.deepEqual((await call('GET', v2.services)).body.map((one: any) => one.name), ['web']);
  });
});

describe('V2 and V1 engine names never collide', () => {
  let wharf: TestWharf;
  const create = (url: string, body: unknown) => wharf.request('POST', url, body);

  before(async () => {
    wharf = await startWharf();
  });
  after(async () => wharf.stop());

  it('a V2 service named <app>-<service> of a V1 service is 409 ServiceExists explaining the clash', async () => {
    assert.equal((await create(v1.apps, { name: 'shop', microservices: [goService('web')] })).status, 201);
    const clash = await create(v2.services, goService('shop-web'));
    assertError(clash, 409, 'ServiceExists', 'microservice "shop-web" would have the engine name "shop-web" of microservice "shop/web" in project "team"');
    assert.match(clash.body.message, /a V1 microservice is named <app>-<service> on the engine, a V2 one <service>/);
    assertError(await wharf.request('GET', v2.service('shop-web')), 404, 'ServiceNotFound');
    assert.equal((await create(v2.services, goService('shop-api'))).status, 201, 'another name is free');
  });

  it('a V1 service whose <app>-<service> is a V2 service is refused, alone or inline in a new app', async () => {
    assert.equal((await create(v2.services, goService('blog-api'))).status, 201);
    const inline = await create(v1.apps, { name: 'blog', microservices: [goService('feed'), goService('api')] });
    assertError(inline, 409, 'ServiceExists', 'microservice "blog/api" would have the engine name "blog-api" of microservice "blog-api"');
    assertError(await wharf.request('GET', v1.app('blog')), 404, 'AppNotFound', 'blog');
    assert.equal((await create(v1.apps, { name: 'blog' })).status, 201);
    assertError(await create(v1.services('blog'), goService('api')), 409, 'ServiceExists', 'engine name "blog-api"');
    assert.equal((await create(v1.services('blog'), goService('feed'))).status, 201);
  });

  it('the same names in another project do not clash', async () => {
    const other = apiV2Paths('local', 'elsewhere');
    assert.equal((await create(other.services, goService('shop-web'))).status, 201);
  });

  it('of a V1 and a V2 create racing for one engine name, exactly one wins', async () => {
    for (let round = 0; round < 10; round++) {
      const app = `race${round}`;
      assert.equal((await create(v1.apps, { name: app })).status, 201);
      const answers = await Promise.all([create(v1.services(app), goService('web')), create(v2.services, goService(`${app}-web`))]);
      assert.deepEqual(answers.map((answer) => answer.status).sort(), [201, 409], JSON.stringify(answers.map((answer) => answer.body)));
    }
  });
});

describe('V2 tokens and quotas', () => {
  let wharf: TestWharf;
  let token: string;
  const other = apiV2Paths('local', 'other');
  const quota = apiPaths('local', 'team').quota;

  before(async () => {
    wharf = await startWharf();
    token = (await wharf.request('POST', '/v1/tokens', { name: 'team', projects: ['team'] })).body.token;
    assert.equal((await wharf.request('POST', other.services, goService('web'))).status, 201);
  });
  after(async () => wharf.stop());

  it('a project token works on its project\'s V2 routes and gets 403 on another project\'s', async () => {
    assert.equal((await sdkCall(wharf, token, 'POST', v2.services, goService('web'))).status, 201);
    assert.equal((await sdkCall(wharf, token, 'GET', v2.service('web'))).status, 200);
    assert.equal((await sdkCall(wharf, token, 'PUT', v2.action('web', 'stop'))).status, 204);
    for (const [method, url] of [['GET', other.services], ['GET', other.service('web')], ['POST', other.services], ['PUT', other.action('web', 'stop')], ['DELETE', other.service('web')], ['GET', other.revisions('web')]] as const) {
      assertError(await sdkCall(wharf, token, method, url, method === 'POST' ? goService('x') : undefined), 403, 'OperationForbbiden', 'project "other"');
    }
    assertError(await sdkCall(wharf, 'nope', 'GET', v2.services), 401, 'Unauthorized');
    assert.equal((await wharf.request('GET', other.service('web'))).status, 200, 'nothing happened to it');
  });

  it('V2 services count in the project quota with V1 ones; over it is 403 QuotaExceeded', async () => {
    assert.equal((await wharf.request('PUT', quota, { services: 3 })).status, 200);
    assert.equal((await wharf.request('POST', v1.apps, { name: 'shop', microservices: [goService('web')] })).status, 201);
    assert.equal((await wharf.request('GET', quota)).body.usage.services, 2, 'one V2 and one V1 service');
    assert.equal((await wharf.request('POST', v2.services, goService('api'))).status, 201);
    assertError(await wharf.request('POST', v2.services, goService('more')), 403, 'QuotaExceeded', '(quota services)');
    assertError(await wharf.request('POST', v1.services('shop'), goService('more')), 403, 'QuotaExceeded', '(quota services)');
    assert.equal((await wharf.request('GET', quota)).body.usage.services, 3);
  });

  it('a project with V2 services only is listed, with no app', async () => {
    const projects = await wharf.request('GET', '/regions/local/v1/projects');
    assert.ok(projects.body.some((project: any) => project.name === 'other' && project.appCount === 0), JSON.stringify(projects.body));
    assert.deepEqual((await wharf.request('GET', apiPaths('local', 'other').apps)).body, []);
  });
});
