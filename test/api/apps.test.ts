import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiPaths, assertError, assertInvalid, createApp, eventually, isRunning } from '../support/api.js';
import { createSeedConfigMap, startWharf, statefulService, statelessService, type TestWharf } from '../support/wharf.js';

const paths = apiPaths();
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

describe('apps', () => {
  let wharf: TestWharf;
  before(async () => {
    wharf = await startWharf();
    await createSeedConfigMap(wharf);
  });
  after(async () => wharf.stop());

  it('creates an app with its microservices: 201 with the app object', async () => {
    const created = await wharf.request('POST', paths.apps, {
      name: 'shop',
      microservices: [statelessService('web'), statefulService('db')],
    });
    assert.equal(created.status, 201);
    assert.deepEqual(Object.keys(created.body).sort(), ['creationTime', 'microservices', 'name', 'projectName']);
    assert.equal(created.body.name, 'shop');
    assert.equal(created.body.projectName, 'proj');
    assert.match(created.body.creationTime, RFC3339);
    assert.deepEqual(
      created.body.microservices.map((service: any) => [service.name, service.type, service.appName, service.revision]),
      [['web', 'stateless', 'shop', 1], ['db', 'stateful', 'shop', 1]],
    );
    await wharf.waitForService(paths.service('shop', 'web'), isRunning);
    await wharf.waitForService(paths.service('shop', 'db'), isRunning);
  });

  it('creates an app without microservices', async () => {
    const created = await createApp(wharf, 'empty');
    assert.deepEqual(created.microservices, []);
  });

  it('lists the apps of a project as an array, by name, with full microservices', async () => {
    await createApp(wharf, 'listed', [statelessService('api')]);
    const listed = await wharf.request('GET', paths.apps);
    assert.equal(listed.status, 200);
    assert.ok(Array.isArray(listed.body), 'Array.isArray(listed.body)');
    const names = listed.body.map((app: any) => app.name);
    assert.deepEqual(names, [...names].sort());
    const app = listed.body.find((candidate: any) => candidate.name === 'listed');
    assert.equal(app.projectName, 'proj');
    assert.equal(app.microservices.length, 1);
    assert.equal(app.microservices[0].name, 'api');
    assert.equal(app.microservices[0].containers[0].image, 'reg.qiniu.com/library/alpine:latest');
    assert.equal(typeof app.microservices[0].status.phase, 'string');
  });

  it('lists an empty array for a project with nothing in it', async () => {
    const listed = await wharf.request('GET', apiPaths('local', 'nobody').apps);
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body, []);
  });

  it('gets an app with its microservices', async () => {
    await createApp(wharf, 'fetched', [statelessService('one'), statelessService('two')]);
    const fetched = await wharf.request('GET', paths.app('fetched'));
    assert.equal(fetched.status, 200);
    assert.equal(fetched.body.name, 'fetched');
    assert.deepEqual(fetched.body.microservices.map((service: any) => service.name), ['one', 'two']);
  });

  it('deletes an app with 204, its microservices and their pods', async () => {
    await createApp(wharf, 'doomed', [statelessService('web', { instanceNumber: 2 })]);
    await wharf.waitForService(paths.service('doomed', 'web'), isRunning);

    const deleted = await wharf.request('DELETE', paths.app('doomed'));
    assert.equal(deleted.status, 204);
    assert.equal(deleted.body, undefined);
    assertError(await wharf.request('GET', paths.app('doomed')), 404, 'AppNotFound', 'doomed');
    assertError(await wharf.request('GET', paths.service('doomed', 'web')), 404, 'AppNotFound', 'doomed');
    const key = { region: 'local', project: 'proj', app: 'doomed', service: 'web' };
    await eventually(async () => wharf.simulated.observe(key).pods.length, (count) => count === 0);
    assertError(await wharf.request('DELETE', paths.app('doomed')), 404, 'AppNotFound', 'doomed');
  });

  it('creates nothing when one inline microservice is invalid', async () => {
    const answer = await wharf.request('POST', paths.apps, {
      name: 'halfway',
      microservices: [statelessService('good'), statelessService('bad', { instanceNumber: 51 })],
    });
    assertInvalid(answer, 'microservices[1].instanceNumber');
    assertError(await wharf.request('GET', paths.app('halfway')), 404, 'AppNotFound', 'halfway');
    const listed = await wharf.request('GET', paths.apps);
    assert.ok(!listed.body.some((app: any) => app.name === 'halfway'), '!listed.body.some((app: any) => app.name === \'halfway\')');
  });

  it('creates nothing when an inline microservice fails the schema', async () => {
    const broken = statelessService('bad');
    delete broken.containers;
    assertInvalid(await wharf.request('POST', paths.apps, { name: 'schemafail', microservices: [statelessService('good'), broken] }), 'microservices[1].containers');
    assertError(await wharf.request('GET', paths.app('schemafail')), 404, 'AppNotFound');
  });

  it('refuses two inline microservices of one name', async () => {
    const answer = await wharf.request('POST', paths.apps, { name: 'twins', microservices: [statelessService('same'), statelessService('same')] });
    assertInvalid(answer, 'microservices[1].name');
    assertError(await wharf.request('GET', paths.app('twins')), 404, 'AppNotFound');
  });

  it('refuses a second app of the same name with 409 AppExists', async () => {
    await createApp(wharf, 'taken');
    assertError(await wharf.request('POST', paths.apps, { name: 'taken' }), 409, 'AppExists', 'taken');
  });

  it('refuses a projectName in the body that is not the path\'s', async () => {
    assertInvalid(await wharf.request('POST', paths.apps, { name: 'elsewhere', projectName: 'other' }), 'projectName');
  });
});
