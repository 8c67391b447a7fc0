import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiPaths, assertError, createApp, createService, eventually, isRunning, countsOf } from '../support/api.js';
import { createSeedConfigMap, startWharf, statefulService, statelessService, type TestWharf } from '../support/wharf.js';

const paths = apiPaths();
/** What Wharf returns for a sent container list: a plain env carries type "". */
function withPlainEnvTyped(containers: any[]): any[] {
  return containers.map((container) => ({
    ...container,
    envs: container.envs.map((env: any) => ({ type: '', ...env })),
  }));
}

const SERVICE_FIELDS = [
  'appName', 'autoRollback', 'containers', 'creationTime', 'instanceNumber', 'minReadySeconds', 'name', 'pods', 'ports',
  'progressDeadlineSeconds', 'projectName', 'resourceSpec', 'revision', 'status', 'type', 'updateTime',
];

describe('microservices', () => {
  let wharf: TestWharf;
  before(async () => {
    wharf = await startWharf();
    await createSeedConfigMap(wharf);
    await createApp(wharf, 'app0');
  });
  after(async () => wharf.stop());

  it('creates the seed\'s stateful example: 201 with the service as sent, plus its identity', async () => {
    const sent = statefulService('db');
    const answer = await wharf.request('POST', paths.services('app0'), sent);
    assert.equal(answer.status, 201);
    assert.deepEqual(Object.keys(answer.body).sort(), SERVICE_FIELDS);
    const { name, type, resourceSpec, instanceNumber, ports, containers } = answer.body;
    assert.deepEqual(
      { name, type, resourceSpec, instanceNumber, ports, containers },
      { ...sent, containers: withPlainEnvTyped(sent.containers as any[]) },
    );
    assert.equal(answer.body.appName, 'app0');
    assert.equal(answer.body.projectName, 'proj');
    assert.equal(answer.body.revision, 1);
    assert.equal(answer.body.creationTime, answer.body.updateTime);
    assert.deepEqual(Object.keys(answer.body.status).sort(), ['available', 'current', 'desire', 'phase', 'rollout', 'unavailable', 'updated']);
    assert.equal(answer.body.status.desire, 1);
  });

  it('creates the seed\'s stateless example and runs instanceNumber pods', async () => {
    const sent = statelessService('web', { instanceNumber: 3 });
    const created = await createService(wharf, 'app0', sent);
    assert.deepEqual(created.containers, withPlainEnvTyped(sent.containers as any[]));
    const running = await wharf.waitForService(paths.service('app0', 'web'), isRunning);
    assert.deepEqual(countsOf(running.status), { phase: 'running', desire: 3, current: 3, updated: 3, available: 3, unavailable: 0 });
    for (const pod of running.pods) {
      assert.deepEqual(Object.keys(pod).sort(), ['containerStatuses', 'creationTime', 'name', 'ready', 'revision', 'status']);
      assert.deepEqual(countsOf(pod.status), { phase: 'running', reason: '', message: '' });
      const startedAt = pod.containerStatuses[0]?.startedAt;
      assert.ok(Date.parse(startedAt) >= Date.parse(pod.creationTime), `a running container says when it started: ${startedAt}`);
      assert.deepEqual(pod.containerStatuses, [{ name: 'container-0', state: 'running', reason: '', message: '', ready: true, restartCount: 0, startedAt }]);
      assert.equal(pod.ready, true);
      assert.equal(pod.revision, 1);
    }
  });

  it('fills every container field on output', async () => {
    const created = await createService(wharf, 'app0', {
      name: 'bare',
      type: 'stateless',
      resourceSpec: '1U1G',
      containers: [{ image: 'nginx:1' }, { image: 'redis:7', name: 'cache' }, { image: 'busybox' }],
    });
    const expected = (name: string, image: string) => ({
      name, image, workingDir: '', command: [], args: [], volumeMounts: [], configs: [], envs: [],
    });
    assert.deepEqual(created.containers, [
      expected('container-0', 'nginx:1'),
      expected('cache', 'redis:7'),
      expected('container-2', 'busybox'),
    ]);
    assert.equal(created.instanceNumber, 1);
    assert.deepEqual(created.ports, []);
    const fetched = await wharf.request('GET', paths.service('app0', 'bare'));
    assert.deepEqual(fetched.body.containers, created.containers);
  });

  it('mounts volumes read-only unless readOnly is false, and types plain envs ""', async () => {
    const created = await createService(wharf, 'app0', statefulService('mounts', {
      containers: [{
        image: 'postgres:16',
        volumeMounts: [{ volumeName: 'data', mountPath: '/data' }, { volumeName: 'logs', mountPath: '/logs', readOnly: false }],
        envs: [{ name: 'PLAIN', value: 'x' }],
      }],
    }));
    assert.deepEqual(created.containers[0].volumeMounts, [
      { volumeName: 'data', readOnly: true, mountPath: '/data' },
      { volumeName: 'logs', readOnly: false, mountPath: '/logs' },
    ]);
    assert.deepEqual(created.containers[0].envs, [{ type: '', name: 'PLAIN', value: 'x' }]);
  });

  it('lists the microservices of an app by name', async () => {
    await createApp(wharf, 'listing', [statelessService('b'), statelessService('a')]);
    const listed = await wharf.request('GET', paths.services('listing'));
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.map((service: any) => service.name), ['a', 'b']);
    assert.deepEqual(Object.keys(listed.body[0]).sort(), SERVICE_FIELDS);
  });

  it('lists an empty array for an app without microservices', async () => {
    await createApp(wharf, 'hollow');
    const listed = await wharf.request('GET', paths.services('hollow'));
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body, []);
  });

  it('gets a microservice', async () => {
    await createService(wharf, 'app0', statelessService('got'));
    const fetched = await wharf.request('GET', paths.service('app0', 'got'));
    assert.equal(fetched.status, 200);
    assert.equal(fetched.body.name, 'got');
    assert.equal(fetched.body.appName, 'app0');
  });

  it('deletes a microservice with 204, removing its pods and revisions', async () => {
    await createService(wharf, 'app0', statelessService('gone', { instanceNumber: 2 }));
    await wharf.waitForService(paths.service('app0', 'gone'), isRunning);
    const deleted = await wharf.request('DELETE', paths.service('app0', 'gone'));
    assert.equal(deleted.status, 204);
    assert.equal(deleted.body, undefined);
    assertError(await wharf.request('GET', paths.service('app0', 'gone')), 404, 'ServiceNotFound', 'gone');
    const key = { region: 'local', project: 'proj', app: 'app0', service: 'gone' };
    await eventually(async () => wharf.simulated.observe(key).pods.length, (count) => count === 0);
    assertError(await wharf.request('DELETE', paths.service('app0', 'gone')), 404, 'ServiceNotFound', 'gone');
  });

  it('gives a microservice created again under a deleted name a fresh start', async () => {
    await createService(wharf, 'app0', statelessService('phoenix', { instanceNumber: 2 }));
    await wharf.waitForService(paths.service('app0', 'phoenix'), isRunning);
    const before = (await wharf.request('GET', paths.service('app0', 'phoenix'))).body.pods.map((pod: any) => pod.name);
    assert.equal((await wharf.request('DELETE', paths.service('app0', 'phoenix'))).status, 204);

    const again = await createService(wharf, 'app0', statelessService('phoenix', { instanceNumber: 1 }));
    assert.equal(again.revision, 1);
    const running = await wharf.waitForService(paths.service('app0', 'phoenix'), isRunning);
    assert.equal(running.pods.length, 1);
    assert.ok(!before.includes(running.pods[0].name), '!before.includes(running.pods[0].name)');
    const revisions = await wharf.request('GET', paths.revisions('app0', 'phoenix'));
    assert.deepEqual(revisions.body.map((revision: any) => revision.revision), [1]);
  });
});
