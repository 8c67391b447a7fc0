import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiPaths, createApp, createService, isRunning, runningPods, watchService } from '../support/api.js';
import { createSeedConfigMap, startWharf, statefulService, statelessService, type TestWharf } from '../support/wharf.js';

const paths = apiPaths();
const HASH = '[bcdfghjklmnpqrstvwxz2456789]';
const keyOf = (service: string) => ({ region: 'local', project: 'proj', app: 'app0', service });
const image = (tag: string) => [{ name: 'main', image: `registry.example/app:${tag}` }];

function assertStatusConsistent(service: any): void {
  const { status } = service;
  const current = service.pods.filter((pod: any) => pod.revision === service.revision);
  assert.equal(status.current, service.pods.length);
  assert.equal(status.updated, current.length);
  assert.equal(status.available, runningPods(service).length);
  assert.equal(status.unavailable, Math.max(status.desire - status.available, 0));
  const settled = status.desire === status.available && status.available === status.updated && current.length === service.pods.length;
  assert.equal(status.phase, settled ? 'running' : 'pending', `phase of ${JSON.stringify(status)}`);
}

describe('status and rollouts (pods start after 150 ms)', () => {
  let wharf: TestWharf;
  const upgrade = (service: string, tag: string) =>
    wharf.request('PUT', paths.action('app0', service, 'upgrade'), { containers: image(tag) });
  const waitRunning = (service: string) => wharf.waitForService(paths.service('app0', service), isRunning);

  before(async () => {
    wharf = await startWharf({ startDelayMs: 150 });
    await createSeedConfigMap(wharf);
    await createApp(wharf, 'app0');
  });
  after(async () => wharf.stop());

  it('is pending while pods start, running once desire == available == updated', async () => {
    const created = await createService(wharf, 'app0', statelessService('fresh', { instanceNumber: 2 }));
    assert.equal(created.status.phase, 'pending');
    assert.equal(created.status.desire, 2);
    const seen = await watchService(wharf, paths.service('app0', 'fresh'), isRunning);
    seen.forEach(assertStatusConsistent);
    assert.ok(seen.some((service) => service.pods.some((pod: any) => pod.status.phase === 'pending')), 'a starting pod was seen');
    const starting = seen.find((service) => service.pods.some((pod: any) => pod.status.phase === 'pending'));
    assert.equal(starting.status.phase, 'pending');
    const waiting = starting.pods.find((pod: any) => pod.status.phase === 'pending');
    assert.deepEqual(waiting.containerStatuses, [{ name: 'container-0', state: 'waiting', reason: 'ContainerCreating', message: '', ready: false, restartCount: 0 }]);
  });

  it('rolls a stateless service one pod at a time: never below instanceNumber available, never above instanceNumber+1 pods', async () => {
    await createService(wharf, 'app0', statelessService('rolling', { instanceNumber: 3, containers: image('v1') }));
    await waitRunning('rolling');
    assert.equal((await upgrade('rolling', 'v2')).status, 200);

    const seen = await watchService(wharf, paths.service('app0', 'rolling'), isRunning);
    for (const service of seen) {
      assert.ok(runningPods(service).length >= 3, `only ${runningPods(service).length} pods available`);
      assert.ok(service.pods.length <= 4, `${service.pods.length} pods at once`);
      assertStatusConsistent(service);
    }
    const mixed = seen.filter((service) => new Set(service.pods.map((pod: any) => pod.revision)).size === 2);
    assert.ok(mixed.length > 0, 'old and new pods served side by side');
    assert.ok(mixed.every((service) => service.status.phase === 'pending'), 'mixed.every((service) => service.status.phase === \'pending\')');
    assert.deepEqual(seen.at(-1).pods.map((pod: any) => pod.revision), [2, 2, 2]);
  });

  it('recreates a stateful pod: the old pod goes before the new one, under the same name', async () => {
    await createService(wharf, 'app0', statefulService('store'));
    const first = await waitRunning('store');
    assert.deepEqual(first.pods.map((pod: any) => pod.name), ['app0-store-0']);
    const containers = [{ image: 'db:2', volumeMounts: [{ volumeName: 'data', mountPath: '/data' }] }];
    assert.equal((await wharf.request('PUT', paths.action('app0', 'store', 'upgrade'), { containers })).status, 200);

    const seen = await watchService(wharf, paths.service('app0', 'store'), isRunning);
    for (const service of seen) {
      assert.ok(service.pods.length <= 1, 'never two stateful pods at once');
      assert.ok(service.pods.every((pod: any) => pod.name === 'app0-store-0'), 'service.pods.every((pod: any) => pod.name === \'app0-store-0\')');
      assertStatusConsistent(service);
    }
    assert.ok(seen.some((service) => service.pods[0]?.revision === 2 && service.pods[0].status.phase === 'pending'), 'seen.some((service) => service.pods[0]?.revision === 2 && service.pods[0].status.phase === \'pending\')');
    assert.equal(seen.at(-1).pods[0].revision, 2);
  });

  it('names stateless pods <app>-<service>-<templatehash>-<5 chars>, the hash changing with the template', async () => {
    await createService(wharf, 'app0', statelessService('named', { instanceNumber: 2, containers: image('v1') }));
    const hashOf = (name: string) => new RegExp(`^app0-named-(${HASH}{10})-${HASH}{5}$`).exec(name)?.[1];
    const first = await waitRunning('named');
    const firstHashes = new Set(first.pods.map((pod: any) => hashOf(pod.name)));
    assert.equal(firstHashes.size, 1);
    assert.ok(!firstHashes.has(undefined), JSON.stringify(first.pods.map((pod: any) => pod.name)));
    assert.notEqual(first.pods[0].name, first.pods[1].name);

    await upgrade('named', 'v2');
    const second = await waitRunning('named');
    const secondHashes = new Set(second.pods.map((pod: any) => hashOf(pod.name)));
    assert.equal(secondHashes.size, 1);
    assert.ok(!secondHashes.has(undefined), '!secondHashes.has(undefined)');
    assert.notDeepEqual([...secondHashes], [...firstHashes]);
  });

  it('scales during a rollout and converges to the new count at the new revision', async () => {
    await createService(wharf, 'app0', statelessService('midway', { instanceNumber: 3, containers: image('v1') }));
    await waitRunning('midway');
    await upgrade('midway', 'v2');
    assert.equal((await wharf.request('PUT', paths.action('app0', 'midway', 'scale/1'))).status, 204);
    const done = await waitRunning('midway');
    assert.deepEqual(done.pods.map((pod: any) => pod.revision), [2]);
  });

  it('replaces a failed stateless pod and returns to running', async () => {
    await createService(wharf, 'app0', statelessService('healer', { instanceNumber: 2 }));
    const running = await waitRunning('healer');
    const victim = running.pods[0].name;
    wharf.simulated.failPod(keyOf('healer'), victim);

    const seen = await watchService(wharf, paths.service('app0', 'healer'), isRunning);
    assert.equal(seen[0].status.phase, 'pending');
    const healed = seen.at(-1);
    assert.equal(healed.pods.length, 2);
    assert.ok(!healed.pods.some((pod: any) => pod.name === victim), '!healed.pods.some((pod: any) => pod.name === victim)');
    assert.ok(healed.pods.some((pod: any) => pod.name === running.pods[1].name), 'the healthy pod is kept');
  });

  it('recreates a failed stateful pod under its name', async () => {
    await createService(wharf, 'app0', statefulService('phoenix'));
    const before = await waitRunning('phoenix');
    wharf.simulated.failPod(keyOf('phoenix'), 'app0-phoenix-0');
    const seen = await watchService(wharf, paths.service('app0', 'phoenix'), isRunning);
    assert.equal(seen[0].status.phase, 'pending');
    const after = seen.at(-1);
    assert.deepEqual(after.pods.map((pod: any) => pod.name), ['app0-phoenix-0']);
    assert.notEqual(after.pods[0].creationTime, before.pods[0].creationTime);
  });
});

describe('status while the engine is unreachable', () => {
  let wharf: TestWharf;
  before(async () => {
    wharf = await startWharf();
    await createSeedConfigMap(wharf);
    await createApp(wharf, 'app0', [statelessService('web', { instanceNumber: 2 })]);
    await wharf.waitForService(paths.service('app0', 'web'), isRunning);
  });
  after(async () => wharf.stop());

  it('reports phase unknown while the API keeps answering, and running once the engine is back', async () => {
    wharf.simulated.setReachable(false);
    try {
      const service = await wharf.request('GET', paths.service('app0', 'web'));
      assert.equal(service.status, 200);
      assert.equal(service.body.status.phase, 'unknown');
      const listed = await wharf.request('GET', paths.apps);
      assert.equal(listed.status, 200);
      assert.equal(listed.body[0].microservices[0].status.phase, 'unknown');

      const created = await wharf.request('POST', paths.services('app0'), statelessService('latecomer'));
      assert.equal(created.status, 201);
      assert.equal(created.body.status.phase, 'unknown');
      assert.equal((await wharf.request('PUT', paths.action('app0', 'web', 'scale/3'))).status, 204);
    } finally {
      wharf.simulated.setReachable(true);
    }
    const web = await wharf.waitForService(paths.service('app0', 'web'), isRunning);
    assert.equal(web.pods.length, 3);
    await wharf.waitForService(paths.service('app0', 'latecomer'), isRunning);
  });
});
