import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startWharf, statelessService, type TestWharf } from '../support/wharf.js';

const APPS = '/regions/local/v1/projects/proj/apps';

describe('apps', () => {
  let wharf: TestWharf;
  before(async () => {
    wharf = await startWharf();
  });
  after(async () => wharf.stop());

  it('creates an app with its microservices and lists it as an array', async () => {
    const created = await wharf.request('POST', APPS, { name: 'app0', microservices: [statelessService('web')] });
    assert.equal(created.status, 201);
    assert.equal(created.body.name, 'app0');
    assert.equal(created.body.projectName, 'proj');
    assert.match(created.body.creationTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.equal(created.body.microservices[0].name, 'web');

    const listed = await wharf.request('GET', APPS);
    assert.equal(listed.status, 200);
    assert.ok(Array.isArray(listed.body));
    assert.deepEqual(listed.body.map((app: { name: string }) => app.name), ['app0']);

    const running = await wharf.waitForService(`${APPS}/app0/microservices/web`, (s) => s.status.phase === 'running');
    assert.equal(running.pods.length, 1);
  });
});
