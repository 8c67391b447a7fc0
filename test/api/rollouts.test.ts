import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiPaths, assertInvalid, createApp, createService, isRunning, watchService } from '../support/api.js';
import { createSeedConfigMap, startWharf, statelessService, type TestWharf } from '../support/wharf.js';

const paths = apiPaths();
const image = (tag: string) => `registry.example/app:${tag}`;
const containers = (tag: string) => [{ name: 'main', image: image(tag) }];
// Pods start 20 ms after creation; available 1 s after that. The shortest deadline the API takes: 10 s.
const SETTINGS = { minReadySeconds: 1, progressDeadlineSeconds: 10 };
const isComplete = (service: any): boolean => isRunning(service) && service.status.rollout.state === 'complete';

describe('rollouts: truthful availability and the progress deadline (simulated runtime)', () => {
  let wharf: TestWharf;
  const upgrade = (service: string, body: Record<string, unknown>) => wharf.request('PUT', paths.action('app0', service, 'upgrade'), body);
  const watch = (service: string, until: (service: any) => boolean, timeoutMs = 20_000) =>
    watchService(wharf, paths.service('app0', service), until, timeoutMs);

  before(async () => {
    wharf = await startWharf();
    await createSeedConfigMap(wharf);
    await createApp(wharf, 'app0');
    wharf.simulated.crashLoop(image('crash'));
    wharf.simulated.failProbe(image('unready'), 'readiness');
    wharf.simulated.failProbe(image('hung'), 'liveness');
  });
  after(async () => wharf.stop());

  it('takes the settings on create, answers them and their defaults, and changes them on upgrade without a revision', async () => {
    const created = await createService(wharf, 'app0', statelessService('settings', { containers: containers('v1') }));
    // The test region's default minReadySeconds is 0 (test/support/wharf.ts); the contract's is 10.
    assert.deepEqual([created.minReadySeconds, created.progressDeadlineSeconds, created.autoRollback], [0, 600, false]);
    assert.deepEqual(created.status.rollout.state, 'progressing');
    const changed = await upgrade('settings', { minReadySeconds: 30, autoRollback: true });
    assert.equal(changed.status, 200);
    assert.deepEqual([changed.body.minReadySeconds, changed.body.progressDeadlineSeconds, changed.body.autoRollback, changed.body.revision], [30, 600, true, 1]);
    // A Go client's unset number: progressDeadlineSeconds 0 is absent, minReadySeconds 0 is 0 (no SDK sends it unset).
    const zeros = await upgrade('settings', { minReadySeconds: 0, progressDeadlineSeconds: 0 });
    assert.deepEqual([zeros.body.minReadySeconds, zeros.body.progressDeadlineSeconds], [0, 600]);
    assertInvalid(await upgrade('settings', { minReadySeconds: 30, progressDeadlineSeconds: 20 }), 'progressDeadlineSeconds');
    assertInvalid(await upgrade('settings', { minReadySeconds: 3601 }), 'minReadySeconds');
    assertInvalid(await wharf.request('POST', paths.services('app0'), statelessService('tooshort', { progressDeadlineSeconds: 5 })), 'progressDeadlineSeconds');
    const defaults = await startWharf({ minReadySeconds: 10 });
    try {
      await createSeedConfigMap(defaults);
      await createApp(defaults, 'app0');
      const plain = await createService(defaults, 'app0', statelessService('plain'));
      assert.equal(plain.minReadySeconds, 10);
    } finally {
      await defaults.stop();
    }
  });

  it('a good release completes: the phase is running only once the new pods have run minReadySeconds', async () => {
    await createService(wharf, 'app0', statelessService('good', { instanceNumber: 2, containers: containers('v1'), ...SETTINGS }));
    const first = await watch('good', isComplete);
    assert.equal(first.at(-1).status.rollout.revision, 1);
    assert.equal((await upgrade('good', { containers: containers('v2') })).status, 200);
    const seen = await watch('good', isComplete);
    for (const service of seen) {
      assert.ok(service.status.available >= 2, `available dropped to ${service.status.available}`);
      if (service.status.phase === 'running') assert.ok(service.pods.every((pod: any) => pod.revision === 2), 'running before the rollout ended');
    }
    // A new pod that runs but has not run 1 s yet keeps the service pending.
    assert.ok(seen.some((service) => service.status.phase === 'pending' && service.pods.some((pod: any) => pod.revision === 2 && pod.ready)), 'a ready pod not yet available was seen');
    const done = seen.at(-1);
    assert.deepEqual({ ...done.status.rollout, updateTime: undefined }, { revision: 2, state: 'complete', reason: 'RolloutComplete', message: 'revision 2: 2 pod(s) available', updateTime: undefined });
  });

  it('a crash-looping release never takes the old pods down, and fails at the deadline where it stands', async () => {
    await createService(wharf, 'app0', statelessService('crashy', { instanceNumber: 2, containers: containers('v1'), ...SETTINGS }));
    const running = (await watch('crashy', isComplete)).at(-1);
    const oldPods = running.pods.map((pod: any) => pod.name).sort();
    assert.equal((await upgrade('crashy', { containers: containers('crash') })).status, 200);

    const seen = await watch('crashy', (service) => service.status.rollout.state === 'failed');
    for (const service of seen) {
      assert.ok(service.status.available >= 2, `available dropped to ${service.status.available}`);
      assert.notEqual(service.status.phase, 'running');
      assert.deepEqual(service.pods.filter((pod: any) => pod.revision === 1).map((pod: any) => pod.name).sort(), oldPods, 'an old pod went');
      assert.ok(service.pods.length <= 3, `${service.pods.length} pods at once`);
    }
    const failed = seen.at(-1);
    const surged = failed.pods.find((pod: any) => pod.revision === 2);
    assert.ok(seen.some((service) => service.pods.some((pod: any) => pod.revision === 2 && pod.containerStatuses[0].restartCount > 0)), 'the new pod restarted');
    assert.equal(failed.status.rollout.revision, 2);
    assert.equal(failed.status.rollout.reason, 'ProgressDeadlineExceeded');
    assert.match(failed.status.rollout.message, new RegExp(`revision 2 made no progress for 10 s: pod ${surged.name} is not available \\(container main: (CrashLoopBackOff|running), \\d+ restart\\(s\\)\\); the old pods keep serving`));
    // Where it stands: still the old pods and the one surged pod, no new churn.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const later = (await wharf.request('GET', paths.service('app0', 'crashy'))).body;
    assert.deepEqual(later.pods.map((pod: any) => pod.name).sort(), [...oldPods, surged.name].sort());
    assert.equal(later.status.rollout.state, 'failed');
    assert.equal(later.status.available, 2);
  });

  it('with autoRollback, a failed rollout rolls back to the last revision that completed, and says so', async () => {
    await createService(wharf, 'app0', statelessService('undo', { instanceNumber: 2, containers: containers('v1'), ...SETTINGS, autoRollback: true }));
    const oldPods = (await watch('undo', isComplete)).at(-1).pods.map((pod: any) => pod.name).sort();
    assert.equal((await upgrade('undo', { containers: containers('crash') })).status, 200);

    const rolledBack = (service: any) => service.revision === 3 && service.status.phase === 'running' && service.status.rollout.state === 'complete';
    const seen = await watch('undo', rolledBack, 25_000);
    for (const service of seen) assert.ok(service.status.available >= 2, `available dropped to ${service.status.available}`);
    const back = seen.at(-1);
    assert.equal(back.containers[0].image, image('v1'));
    // Revision 3 has revision 1's template: the old pods, which never stopped serving, are its pods; the crashing one is gone.
    assert.deepEqual(back.pods.map((pod: any) => pod.name).sort(), oldPods);
    assert.equal(back.status.rollout.reason, 'RolledBack');
    assert.match(back.status.rollout.message, /^revision 2 made no progress for 10 s: pod \S+ is not available .*; rolled back to the template of revision 1$/);
    const revisions = (await wharf.request('GET', paths.revisions('app0', 'undo'))).body;
    assert.deepEqual(revisions.map((revision: any) => revision.revision), [1, 2, 3]);
  });

  // Simulated probe time: one period of 10 s is startDelayMs (20 ms), so a readiness probe of period 50 runs every 100 ms.
  const probed = (tag: string, probes: Record<string, unknown>) => [{ name: 'main', image: image(tag), ...probes }];
  const readiness = { readinessProbe: { httpGet: { path: '/ready', port: 80 }, periodSeconds: 50, successThreshold: 2 } };
  const liveness = { livenessProbe: { tcpSocket: { port: 80 } } };

  it('a good release with a readiness probe completes, counting only ready pods as available', async () => {
    await createService(wharf, 'app0', statelessService('gated', { instanceNumber: 2, containers: probed('v1', readiness), ...SETTINGS }));
    await watch('gated', isComplete);
    assert.equal((await upgrade('gated', { containers: probed('v2', readiness) })).status, 200);
    const seen = await watch('gated', isComplete);
    for (const service of seen) {
      assert.ok(service.status.available >= 2, `available dropped to ${service.status.available}`);
      const ready = service.pods.filter((pod: any) => pod.ready).length;
      assert.ok(service.status.available <= ready, `${service.status.available} available but only ${ready} pod(s) ready`);
    }
    // Running is not ready: the probe has to pass twice first.
    const gated = seen.flatMap((service) => service.pods).find((pod: any) => pod.revision === 2 && pod.status.phase === 'running' && !pod.ready);
    assert.ok(gated, 'a new pod was seen running but not yet ready');
    assert.deepEqual([gated.containerStatuses[0].state, gated.containerStatuses[0].ready], ['running', false]);
    assert.deepEqual(gated.status, { phase: 'running', reason: 'ContainersNotReady', message: 'container main is not ready: its probes have not passed yet' });
    const done = seen.at(-1);
    assert.equal(done.status.rollout.reason, 'RolloutComplete');
    assert.ok(done.pods.every((pod: any) => pod.ready && pod.containerStatuses[0].ready), 'every pod of the completed rollout is ready');
  });

  it('a release whose readiness probe fails is held for the whole deadline and fails; with autoRollback it comes back', async () => {
    // Side by side, so the two deadlines run at once.
    const held = async (name: string, autoRollback: boolean) => {
      await createService(wharf, 'app0', statelessService(name, { instanceNumber: 2, containers: probed('v1', readiness), ...SETTINGS, autoRollback }));
      const oldPods = (await watch(name, isComplete)).at(-1).pods.map((pod: any) => pod.name).sort();
      assert.equal((await upgrade(name, { containers: probed('unready', readiness) })).status, 200);
      const failed = (service: any) => service.status.rollout.state === 'failed';
      // Revision 3 has revision 1's template, so its pods are revision 1's.
      const backAgain = (service: any) => service.revision === 3 && service.status.phase === 'running' && service.status.rollout.state === 'complete';
      return { oldPods, seen: await watch(name, autoRollback ? backAgain : failed, 25_000) };
    };
    const [kept, undone] = await Promise.all([held('unready', false), held('unready-undo', true)]);

    for (const { oldPods, seen } of [kept, undone]) {
      for (const service of seen) {
        assert.ok(service.status.available >= 2, `available dropped to ${service.status.available}`);
        assert.ok(service.pods.length <= 3, `${service.pods.length} pods at once`);
        if (service.revision === 2) {
          assert.notEqual(service.status.phase, 'running');
          assert.deepEqual(service.pods.filter((pod: any) => pod.revision === 1).map((pod: any) => pod.name).sort(), oldPods, 'an old pod went');
        }
      }
    }
    const failed = kept.seen.at(-1);
    const surged = failed.pods.find((pod: any) => pod.revision === 2);
    assert.equal(surged.status.phase, 'running');
    assert.equal(surged.ready, false);
    assert.deepEqual(surged.status, { phase: 'running', reason: 'ContainersNotReady', message: 'container main is not ready: readiness probe failed: simulated' });
    assert.deepEqual([surged.containerStatuses[0].reason, surged.containerStatuses[0].message], ['Unhealthy', 'readiness probe failed: simulated']);
    assert.deepEqual([surged.containerStatuses[0].state, surged.containerStatuses[0].ready, surged.containerStatuses[0].restartCount], ['running', false, 0]);
    assert.deepEqual([failed.status.rollout.revision, failed.status.rollout.state, failed.status.rollout.reason], [2, 'failed', 'ProgressDeadlineExceeded']);
    assert.match(failed.status.rollout.message, new RegExp(`^revision 2 made no progress for 10 s: pod ${surged.name} is not available \\(container main: Unhealthy\\); the old pods keep serving$`));

    const back = undone.seen.at(-1);
    assert.equal(back.containers[0].image, image('v1'));
    assert.deepEqual(back.pods.map((pod: any) => pod.name).sort(), undone.oldPods, 'the old pods, which never stopped serving, are the pods of the rollback');
    assert.equal(back.status.rollout.reason, 'RolledBack');
  });

  it('a release whose liveness probe fails restarts its container again and again, and is held until the deadline', async () => {
    await createService(wharf, 'app0', statelessService('hung', { instanceNumber: 2, containers: probed('v1', liveness), ...SETTINGS }));
    const oldPods = (await watch('hung', isComplete)).at(-1).pods.map((pod: any) => pod.name).sort();
    assert.equal((await upgrade('hung', { containers: probed('hung', liveness) })).status, 200);

    const seen = await watch('hung', (service) => service.status.rollout.state === 'failed');
    for (const service of seen) {
      assert.ok(service.status.available >= 2, `available dropped to ${service.status.available}`);
      assert.notEqual(service.status.phase, 'running');
      assert.deepEqual(service.pods.filter((pod: any) => pod.revision === 1).map((pod: any) => pod.name).sort(), oldPods, 'an old pod went');
    }
    const restarts = seen.flatMap((service) => service.pods.filter((pod: any) => pod.revision === 2).map((pod: any) => pod.containerStatuses[0].restartCount));
    assert.ok(Math.max(...restarts) >= 3, `the container restarted again and again: restart counts seen ${[...new Set(restarts)].join(', ')}`);
    assert.deepEqual(restarts, [...restarts].sort((a, b) => a - b), 'the restart count only grows');
    const failed = seen.at(-1);
    const surged = failed.pods.find((pod: any) => pod.revision === 2);
    // The kubelet's report of a container it killed for a failed liveness probe.
    assert.deepEqual({ ...surged.containerStatuses[0].lastState, finishedAt: undefined }, { exitCode: 137, reason: 'Error', finishedAt: undefined });
    assert.ok(Date.parse(surged.containerStatuses[0].lastState.finishedAt) > Date.parse(surged.creationTime), 'lastState says when the container was killed');
    assert.equal(failed.status.rollout.reason, 'ProgressDeadlineExceeded');
    // Where the deadline finds the container: backing off, running, or running with its liveness probe failing.
    assert.match(failed.status.rollout.message, new RegExp(`pod ${surged.name} is not available \\(container main: (CrashLoopBackOff|running|Unhealthy), \\d+ restart\\(s\\)\\); the old pods keep serving$`));
  });
});
