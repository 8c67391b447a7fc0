import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiPaths } from '../support/api.js';
import { GO_ZERO_TIME, goContainer, goService, useSdkWharf } from '../support/ke-sdk.js';
import { startWharf, type TestWharf } from '../support/wharf.js';

const paths = apiPaths('local', 'team');

describe('the KE Go SDK\'s wire shapes', () => {
  const sdk = useSdkWharf('team');
  const { call } = sdk;

  it('PostApp, ListApp, GetApp', async () => {
    const created = await call('POST', paths.apps, { name: 'shop', projectName: '', creationTime: GO_ZERO_TIME, microservices: null });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.headers.warning, undefined, 'nothing the SDK sends is unknown');
    assert.deepEqual(created.body.microservices, []);
    assert.equal((await call('GET', paths.apps)).body.length, 1);
    assert.equal((await call('GET', paths.app('shop'))).body.name, 'shop');
  });

  it('ListResourceSpecs', async () => {
    const specs = await call('GET', '/regions/local/v1/resourcespecs');
    assert.equal(specs.status, 200);
    assert.ok(specs.body.some((spec: any) => spec.name === '1U1G' && spec.cpu === 1 && spec.memory === 1024), JSON.stringify(specs.body));
  });

  it('PostService with zero values, then the seed\'s 404 and 409 are reachable', async () => {
    const created = await call('POST', paths.services('shop'), goService('web'));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.headers.warning, undefined);
    assert.deepEqual(created.body.containers[0], {
      name: 'main', image: 'nginx:1', workingDir: '', command: ['/bin/sh'], args: ['-c', 'sleep 1000'], volumeMounts: [], configs: [], envs: [{ type: '', name: 'MODE', value: 'prod' }],
    });
    const stateful = goService('db', {
      type: 'stateful',
      instanceNumber: 0,
      ports: null,
      containers: [goContainer('db', 'postgres:16', { volumeMounts: [{ volumeName: 'pgdata', readOnly: null, mountPath: '/var/lib/postgresql' }] })],
    });
    const db = await call('POST', paths.services('shop'), stateful);
    assert.equal(db.status, 201, JSON.stringify(db.body));
    assert.equal(db.body.instanceNumber, 1, 'Go\'s 0 is unset: the default');
    assert.equal(db.body.containers[0].volumeMounts[0].readOnly, true, 'an unset *bool is the seed\'s default');

    const missingApp = await call('POST', paths.services('nope'), goService('web'));
    assert.equal(missingApp.status, 404);
    assert.equal(missingApp.body.error, 'AppNotFound');
    const duplicate = await call('POST', paths.services('shop'), goService('web'));
    assert.equal(duplicate.status, 409);
    assert.equal(duplicate.body.error, 'ServiceExists');
  });

  it('GetService and ListService', async () => {
    assert.equal((await call('GET', paths.service('shop', 'web'))).body.instanceNumber, 2);
    assert.deepEqual((await call('GET', paths.services('shop'))).body.map((one: any) => one.name), ['db', 'web']);
  });

  it('ScaleService, StopService, StartService as empty form posts: 204', async () => {
    for (const action of ['scale/3', 'stop', 'start']) {
      const answer = await call('PUT', paths.action('shop', 'web', action));
      assert.equal(answer.status, 204, `${action}: ${JSON.stringify(answer.body)}`);
    }
    assert.equal((await call('GET', paths.service('shop', 'web'))).body.instanceNumber, 3);
  });

  it('UpgradeService of an image alone keeps command, args, envs and the other container', async () => {
    const upgraded = await call('PUT', paths.action('shop', 'web', 'upgrade'), { resourceSpec: '', containers: [goContainer('main', 'nginx:2'), goContainer('side', 'busybox:1')] });
    assert.equal(upgraded.status, 200, JSON.stringify(upgraded.body));
    assert.equal(upgraded.body.revision, 2);
    assert.equal(upgraded.body.resourceSpec, '1U1G');
    assert.deepEqual(upgraded.body.containers.map((container: any) => [container.name, container.image]), [['main', 'nginx:2'], ['side', 'busybox:1']]);
    assert.deepEqual(upgraded.body.containers[0].command, ['/bin/sh']);
    assert.deepEqual(upgraded.body.containers[0].args, ['-c', 'sleep 1000']);
    assert.deepEqual(upgraded.body.containers[0].envs, [{ type: '', name: 'MODE', value: 'prod' }]);
  });

  it('UpgradeService with a misspelled container name is refused with both names', async () => {
    const answer = await call('PUT', paths.action('shop', 'web', 'upgrade'), { resourceSpec: '', containers: [goContainer('mian', '')] });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error, 'InvalidArgs');
    assert.match(answer.body.message, /no container "mian" in service web \(has: main, side\); a new container needs an image/);
    assert.equal(answer.body.key, 'containers[0].image');
    assert.equal((await call('GET', paths.service('shop', 'web'))).body.revision, 2, 'nothing changed');
  });

  it('UpdateServicePorts, ListServiceRevisions, RollbackService', async () => {
    const ports = await call('PUT', paths.action('shop', 'web', 'ports'), { ports: [{ port: 8080, protocol: 'UDP' }] });
    assert.equal(ports.status, 200, JSON.stringify(ports.body));
    assert.deepEqual(ports.body.ports, [{ port: 8080, protocol: 'UDP' }]);
    const revisions = await call('GET', paths.revisions('shop', 'web'));
    assert.deepEqual(revisions.body.map((revision: any) => revision.revision), [1, 2]);
    assert.equal((await call('PUT', paths.rollback('shop', 'web', 1))).status, 204);
    assert.equal((await call('GET', paths.service('shop', 'web'))).body.containers[0].image, 'nginx:1');
  });

  it('ConfigMaps: create, list, get, update repeating the name, delete', async () => {
    const created = await call('POST', paths.configMaps, { name: 'cm', data: { key1: 'v1' }, creationTime: GO_ZERO_TIME });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await call('GET', paths.configMaps)).body.length, 1);
    assert.equal((await call('PUT', paths.configMap('cm'), { name: 'cm', data: { key1: 'v2' }, creationTime: GO_ZERO_TIME })).status, 200);
    assert.equal((await call('GET', paths.configMap('cm'))).body.data.key1, 'v2');
    const renamed = await call('PUT', paths.configMap('cm'), { name: 'other', data: {}, creationTime: GO_ZERO_TIME });
    assert.equal(renamed.status, 400);
    assert.equal(renamed.body.key, 'name');
    const deleting = await call('DELETE', paths.configMap('cm'));
    assert.equal(deleting.status, 202, JSON.stringify(deleting.body));
    // Every field of the SDK's ConfigMap is there; `deleting` is added, which Go's decoder skips.
    assert.deepEqual(Object.keys(deleting.body).sort(), ['creationTime', 'data', 'deleting', 'name', 'projectName', 'updateTime', 'version']);
  });

  it('Volumes: create, list, get, delete', async () => {
    const created = await call('POST', paths.volumes, { name: 'data', size: 10, status: '', storageType: '', fsType: '', creationTime: GO_ZERO_TIME });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await call('GET', paths.volume('data'))).body.size, 10);
    assert.ok((await call('GET', paths.volumes)).body.some((volume: any) => volume.name === 'data'), 'listed');
    const deleting = await call('DELETE', paths.volume('data'));
    assert.equal(deleting.status, 202, JSON.stringify(deleting.body));
    assert.equal(deleting.body.status, 'deleting', 'a string like the SDK\'s other statuses');
  });

  it('DeleteService and DeleteApp as empty form posts; GetApp of a gone app is AppNotFound', async () => {
    assert.equal((await call('DELETE', paths.service('shop', 'web'))).status, 204);
    assert.equal((await call('DELETE', paths.app('shop'))).status, 204);
    for (const method of ['GET', 'DELETE']) {
      const gone = await call(method, paths.app('shop'));
      assert.equal(gone.status, 404);
      assert.equal(gone.body.error, 'AppNotFound', `${method}: the seed lists AppNotFound, not SpaceNotFound`);
    }
  });

  it('answers X-Reqid on every call, the SDK\'s own id when it sends one', async () => {
    const answer = await sdk.wharf().api.inject({ method: 'GET', url: paths.apps, headers: { 'x-auth-token': sdk.token(), 'x-reqid': 'sdk-req-1' } });
    assert.equal(answer.statusCode, 200);
    assert.equal(answer.headers['x-reqid'], 'sdk-req-1');
    const error = await call('GET', paths.app('nope'));
    assert.equal(typeof error.headers['x-reqid'], 'string');
    assert.ok(String(error.headers['x-reqid']).length > 0, 'a generated request id');
  });
});

describe('reading bodies: field validation', () => {
  let wharf: TestWharf;
  before(async () => {
    wharf = await startWharf();
    assert.equal((await wharf.request('POST', paths.apps, { name: 'shop' })).status, 201);
  });
  after(async () => wharf.stop());

  const withTypo = (name: string) => ({ name, type: 'stateless', resourceSpec: '1U1G', containers: [{ image: 'nginx:1', workdir: '/srv' }], replicas: 3 });

  it('Warn (the default) accepts and names each unknown field in a Warning header, as kube-apiserver does', async () => {
    const answer = await wharf.request('POST', paths.services('shop'), withTypo('warned'));
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    assert.equal(answer.headers.warning, '299 - "unknown field \\"containers[0].workdir\\"", 299 - "unknown field \\"replicas\\""');
    assert.equal(answer.body.containers[0].workingDir, '', 'nothing else changes');
    assert.equal(answer.body.instanceNumber, 1);
  });

  it('Strict refuses an unknown field with 400 naming it; Ignore takes it silently', async () => {
    const strict = await wharf.request('POST', `${paths.services('shop')}?fieldValidation=Strict`, withTypo('strict'));
    assert.equal(strict.status, 400);
    assert.match(strict.body.message, /is not a known field/);
    assert.ok(['containers[0].workdir', 'replicas'].includes(strict.body.key), strict.body.key);
    assert.equal((await wharf.request('GET', paths.service('shop', 'strict'))).status, 404, 'nothing was created');
    const ignored = await wharf.request('POST', `${paths.services('shop')}?fieldValidation=Ignore`, withTypo('ignored'));
    assert.equal(ignored.status, 201);
    assert.equal(ignored.headers.warning, undefined);
    const bad = await wharf.request('POST', `${paths.services('shop')}?fieldValidation=Loose`, withTypo('bad'));
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /fieldValidation must be one of Ignore, Warn, Strict/);
  });

  it('a missing required field names its likely misspelling', async () => {
    const answer = await wharf.request('POST', paths.services('shop'), { name: 'typo', type: 'stateless', resourceSpec: '1U1G', containers: [{ imgae: 'nginx:1' }] });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.message, 'containers[0].image is required (did you mean "imgae"?)');
    assert.equal(answer.body.key, 'containers[0].image');
  });

  it('wrong types are still refused; a non-JSON body is 415 naming application/json', async () => {
    const wrong = await wharf.request('POST', paths.services('shop'), { name: 'wrong', type: 'stateless', resourceSpec: '1U1G', containers: [{ image: 'nginx:1', command: 'sleep' }] });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.key, 'containers[0].command');
    const form = await wharf.api.inject({
      method: 'POST',
      url: paths.apps,
      headers: { 'x-auth-token': wharf.adminToken, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'name=shop2',
    });
    assert.equal(form.statusCode, 415);
    assert.equal(JSON.parse(form.body).error, 'UnsupportedMediaType');
    assert.match(JSON.parse(form.body).message, /Content-Type: application\/json/);
  });

  it('the default comes from the config (api.fieldValidation)', async () => {
    const strictByDefault = await startWharf({ fieldValidation: 'Strict' });
    try {
      await strictByDefault.request('POST', paths.apps, { name: 'shop' });
      const answer = await strictByDefault.request('POST', paths.services('shop'), withTypo('strict'));
      assert.equal(answer.status, 400);
      assert.equal((await strictByDefault.request('POST', `${paths.services('shop')}?fieldValidation=Warn`, withTypo('warned'))).status, 201);
    } finally {
      await strictByDefault.stop();
    }
  });
});

describe('the projects a token may see', () => {
  let wharf: TestWharf;
  before(async () => {
    wharf = await startWharf();
    await wharf.request('POST', apiPaths('local', 'alpha').apps, { name: 'one' });
    await wharf.request('POST', apiPaths('local', 'alpha').apps, { name: 'two' });
    await wharf.request('POST', apiPaths('local', 'beta').configMaps, { name: 'cm', data: {} });
  });
  after(async () => wharf.stop());

  it('lists every project with something in the region for an admin, with app counts', async () => {
    const answer = await wharf.request('GET', '/regions/local/v1/projects');
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, [{ name: 'alpha', description: '', appCount: 2 }, { name: 'beta', description: '', appCount: 0 }]);
  });

  it('lists only a project token\'s own projects', async () => {
    const token = (await wharf.request('POST', '/v1/tokens', { name: 'b', projects: ['beta', 'gamma'] })).body.token;
    const answer = await wharf.request('GET', '/regions/local/v1/projects', undefined, { token });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, [{ name: 'beta', description: '', appCount: 0 }, { name: 'gamma', description: '', appCount: 0 }]);
  });
});
