import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiPaths, assertError, assertInvalid, createApp, createService, isRunning } from '../support/api.js';
import { createSeedConfigMap, startWharf, statefulService, statelessService, type TestWharf } from '../support/wharf.js';

const paths = apiPaths();
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

function image(tag: string) {
  return [{ name: 'main', image: `registry.example/app:${tag}` }];
}

function normalizedImage(tag: string) {
  return [{ name: 'main', image: `registry.example/app:${tag}`, workingDir: '', command: [], args: [], volumeMounts: [], configs: [], envs: [] }];
}

describe('upgrade, ports, revisions and rollback', () => {
  let wharf: TestWharf;
  const upgrade = (service: string, body: unknown) => wharf.request('PUT', paths.action('app0', service, 'upgrade'), body);
  const setPorts = (service: string, ports: unknown) => wharf.request('PUT', paths.action('app0', service, 'ports'), { ports });
  const revisions = async (service: string) => (await wharf.request('GET', paths.revisions('app0', service))).body;
  const rollback = (service: string, revision: number | string) => wharf.request('PUT', paths.rollback('app0', service, revision));
  const get = async (service: string) => (await wharf.request('GET', paths.service('app0', service))).body;
  const waitRunning = (service: string) => wharf.waitForService(paths.service('app0', service), isRunning);
  const create = (service: string, overrides: Record<string, unknown> = {}) =>
    createService(wharf, 'app0', statelessService(service, { containers: image('v1'), ...overrides }));

  before(async () => {
    wharf = await startWharf();
    await createSeedConfigMap(wharf);
    await createApp(wharf, 'app0');
  });
  after(async () => wharf.stop());

  it('upgrades: 200 with the service at revision 2, pods roll to it', async () => {
    await create('up', { instanceNumber: 2 });
    await waitRunning('up');
    const answer = await upgrade('up', { resourceSpec: '2U4G', containers: image('v2') });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.name, 'up');
    assert.equal(answer.body.revision, 2);
    assert.equal(answer.body.resourceSpec, '2U4G');
    assert.deepEqual(answer.body.containers, normalizedImage('v2'));
    assert.equal(answer.body.status.phase, 'pending');
    assert.notEqual(answer.body.updateTime, answer.body.creationTime);

    const rolled = await waitRunning('up');
    assert.deepEqual(rolled.pods.map((pod: any) => pod.revision), [2, 2]);
    assert.equal(rolled.instanceNumber, 2);
  });

  it('upgrades only the resource spec, keeping the containers', async () => {
    await create('speconly');
    const answer = await upgrade('speconly', { resourceSpec: '1U2G' });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.revision, 2);
    assert.equal(answer.body.resourceSpec, '1U2G');
    assert.deepEqual(answer.body.containers, normalizedImage('v1'));
  });

  it('makes no new revision for a template identical to the current one', async () => {
    const created = await create('same');
    const answer = await upgrade('same', { resourceSpec: '1U1G', containers: [{ image: 'registry.example/app:v1', name: 'main', envs: [] }] });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.revision, 1);
    assert.equal(answer.body.updateTime, created.updateTime);
    assert.deepEqual((await revisions('same')).map((revision: any) => revision.revision), [1]);
  });

  it('refuses an empty upgrade body, an unknown spec and a type change with 400', async () => {
    await create('strict');
    assertInvalid(await upgrade('strict', {}), 'at least one');
    assertInvalid(await upgrade('strict', { resourceSpec: '9U9G' }), 'resourceSpec');
    const strict = (body: unknown) => wharf.request('PUT', `${paths.action('app0', 'strict', 'upgrade')}?fieldValidation=Strict`, body);
    assertInvalid(await strict({ type: 'stateful' }), 'type');
    assertInvalid(await upgrade('strict', { containers: [] }), 'containers');
    assert.equal((await get('strict')).revision, 1);
  });

  it('refuses volume mounts in the upgrade of a stateless service', async () => {
    await create('novolume');
    const containers = [{ image: 'x:1', volumeMounts: [{ volumeName: 'v', mountPath: '/v' }] }];
    assertInvalid(await upgrade('novolume', { containers }), 'containers[0].volumeMounts');
  });

  it('upgrades a stateful service by recreating its one pod', async () => {
    await createService(wharf, 'app0', statefulService('solo'));
    await waitRunning('solo');
    const containers = [{ image: 'db:2', volumeMounts: [{ volumeName: 'data', mountPath: '/data' }] }];
    assert.equal((await upgrade('solo', { containers })).status, 200);
    const rolled = await waitRunning('solo');
    assert.deepEqual(rolled.pods.map((pod: any) => [pod.name, pod.revision]), [['app0-solo-0', 2]]);
  });

  it('replaces the ports: 200 with the service, no new revision, pods untouched', async () => {
    await create('ported', { instanceNumber: 2 });
    const running = await waitRunning('ported');
    const ports = [{ port: 8080, protocol: 'UDP' }, { port: 80, protocol: 'TCP' }, { port: 80, protocol: 'UDP' }];
    const answer = await setPorts('ported', ports);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body.ports, ports);
    assert.equal(answer.body.revision, 1);
    assert.equal(answer.body.status.phase, 'running');
    assert.deepEqual(answer.body.pods.map((pod: any) => pod.name), running.pods.map((pod: any) => pod.name));
    assert.deepEqual((await get('ported')).ports, ports);
    assert.deepEqual((await revisions('ported')).map((revision: any) => revision.revision), [1]);

    const cleared = await setPorts('ported', []);
    assert.equal(cleared.status, 200);
    assert.deepEqual(cleared.body.ports, []);
  });

  it('refuses duplicate ports, a missing list and unknown fields', async () => {
    await create('portcheck');
    assertInvalid(await setPorts('portcheck', [{ port: 80, protocol: 'TCP' }, { port: 80, protocol: 'TCP' }]), 'ports[1]');
    assertInvalid(await wharf.request('PUT', paths.action('app0', 'portcheck', 'ports'), {}), 'ports');
    assertInvalid(await wharf.request('PUT', `${paths.action('app0', 'portcheck', 'ports')}?fieldValidation=Strict`, { ports: [], extra: 1 }), 'extra');
    assert.deepEqual((await get('portcheck')).ports, [{ port: 80, protocol: 'TCP' }, { port: 8080, protocol: 'UDP' }]);
  });

  it('lists revisions ascending, each {revision, resourceSpec, containers, creationTimestamp}', async () => {
    await create('history');
    await upgrade('history', { containers: image('v2') });
    await upgrade('history', { resourceSpec: '2U2G' });
    const answer = await wharf.request('GET', paths.revisions('app0', 'history'));
    assert.equal(answer.status, 200);
    assert.deepEqual(
      answer.body.map(({ revision, resourceSpec, containers }: any) => ({ revision, resourceSpec, containers })),
      [
        { revision: 1, resourceSpec: '1U1G', containers: normalizedImage('v1') },
        { revision: 2, resourceSpec: '1U1G', containers: normalizedImage('v2') },
        { revision: 3, resourceSpec: '2U2G', containers: normalizedImage('v2') },
      ],
    );
    for (const revision of answer.body) {
      assert.deepEqual(Object.keys(revision).sort(), ['containers', 'creationTimestamp', 'resourceSpec', 'revision']);
      assert.match(revision.creationTimestamp, RFC3339);
    }
  });

  it('keeps the last 10 revisions', async () => {
    await create('pruned');
    for (let version = 2; version <= 12; version++) {
      assert.equal((await upgrade('pruned', { containers: image(`v${version}`) })).body.revision, version);
    }
    assert.deepEqual((await revisions('pruned')).map((revision: any) => revision.revision), [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    assertError(await rollback('pruned', 2), 404, 'RevisionNotFound', '2');
  });

  it('rolls back: 204, a new revision max+1 with the old template, pods roll to it', async () => {
    await create('back', { instanceNumber: 2 });
    await upgrade('back', { resourceSpec: '2U4G', containers: image('v2') });
    await waitRunning('back');

    const answer = await rollback('back', 1);
    assert.equal(answer.status, 204);
    assert.equal(answer.body, undefined);
    const rolled = await waitRunning('back');
    assert.equal(rolled.revision, 3);
    assert.equal(rolled.resourceSpec, '1U1G');
    assert.deepEqual(rolled.containers, normalizedImage('v1'));
    assert.deepEqual(rolled.pods.map((pod: any) => pod.revision), [3, 3]);
    const history = await revisions('back');
    assert.deepEqual(history.map((revision: any) => revision.revision), [1, 2, 3]);
    assert.deepEqual(history[2].containers, history[0].containers);
  });

  it('rolls back to the current revision as a no-op', async () => {
    await create('still');
    await upgrade('still', { containers: image('v2') });
    const before = await get('still');
    assert.equal((await rollback('still', 2)).status, 204);
    const after = await get('still');
    assert.equal(after.revision, 2);
    assert.equal(after.updateTime, before.updateTime);
    assert.deepEqual((await revisions('still')).map((revision: any) => revision.revision), [1, 2]);
  });

  it('refuses a rollback to an unknown revision with 404 RevisionNotFound, and a bad number with 400', async () => {
    await create('unknownrev');
    assertError(await rollback('unknownrev', 7), 404, 'RevisionNotFound', '7');
    assertError(await rollback('unknownrev', 0), 404, 'RevisionNotFound', '0');
    assertInvalid(await rollback('unknownrev', 'first'), 'revision');
    assert.equal((await get('unknownrev')).revision, 1);
  });

  it('answers 404 for the revisions of a missing service', async () => {
    assertError(await wharf.request('GET', paths.revisions('app0', 'ghost')), 404, 'ServiceNotFound', 'ghost');
    assertError(await rollback('ghost', 1), 404, 'ServiceNotFound', 'ghost');
    assertError(await upgrade('ghost', { resourceSpec: '1U1G' }), 404, 'ServiceNotFound', 'ghost');
    assertError(await setPorts('ghost', []), 404, 'ServiceNotFound', 'ghost');
  });
});
