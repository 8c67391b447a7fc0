// Issue 11 §6 on a real engine: releases that must never take a service down. Every scenario samples
// the service every ~200 ms from three sides at once: the API (counts, pods, rollout), the engine
// (`docker ps`) and HTTP to each pod through its published port. The scenarios run side by side
// (each its own service) so that the file stays well under a minute.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type Docker from 'dockerode';
import { apiPaths } from '../../support/api.js';
import { docker, dockerSuiteSkip, IMAGES, projectContainers, useDockerWharf } from '../../support/docker.js';

const REGION = 'dkr-rollouts';
const PROJECT = 'rollouts';
const APP = 'shop';
const paths = apiPaths(REGION, PROJECT);
const skip = await dockerSuiteSkip();

const SAMPLE_EVERY_MS = 200;
const DEADLINE_SECONDS = 10;
// busybox httpd serving the image's root: GET /VERSION answers the image's version (1 or 2).
const HTTPD_ARGS = ['-f', '-p', '80', '-h', '/'];
const httpd = (image: string, extra: Record<string, unknown> = {}) => ({ name: 'web', image, command: ['httpd'], args: HTTPD_ARGS, ...extra });
const CRASHING = { name: 'web', image: IMAGES.app2, command: ['/bin/sh'], args: ['-c', 'echo bad config; exit 1'] };
const readiness = (path: string) => ({ httpGet: { path, port: 80 }, periodSeconds: 1, failureThreshold: 1 });

/** One look at the service: what the API said (`at`: when its answer came), what the engine runs, what each pod answers. */
interface Sample {
  at: number;
  service: any;
  /** The service's containers, running or not, as `docker ps -a` lists them. */
  engine: Docker.ContainerInfo[];
  /** Pod name -> the body of GET /VERSION through its published port, or `error: …`. */
  http: Map<string, string>;
}

/** A pod of the first revision, as it was before the upgrade. */
interface OldPod {
  name: string;
  /** Its app container (not the sandbox). */
  containerId: string;
  startedAt: string;
}

const containerName = (pod: string) => `wharf_${REGION}_${PROJECT}_${pod}_web`;

async function answerOf(hostPort: number | undefined): Promise<string> {
  if (hostPort === undefined) return 'error: no published port';
  try {
    const response = await fetch(`http://127.0.0.1:${hostPort}/VERSION`, { signal: AbortSignal.timeout(2000) });
    return response.ok ? (await response.text()).trim() : `error: HTTP ${response.status}`;
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

describe('Docker runtime: rollouts that never take a service down (issue 11)', { skip, concurrency: true }, () => {
  const wharf = useDockerWharf(REGION, PROJECT);
  before(async () => {
    const created = await wharf().request('POST', paths.apps, { name: APP, microservices: [] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });

  const get = async (name: string) => (await wharf().request('GET', paths.service(APP, name))).body;

  async function sample(name: string): Promise<Sample> {
    const service = await get(name);
    const at = Date.now();
    const engine = await docker.listContainers({ all: true, filters: { label: [`io.wharf.region=${REGION}`, `io.wharf.project=${PROJECT}`, `io.wharf.service=${name}`] } });
    const answers = await Promise.all(
      (service.pods as any[]).map(async (pod) => [pod.name, await answerOf(pod.hostPorts?.find((port: any) => port.port === 80)?.hostPort)] as const),
    );
    return { at, service, engine, http: new Map(answers) };
  }

  /** Samples every ~200 ms until `until` holds for a sample (which is the last one returned). */
  async function watch(name: string, until: (sample: Sample) => boolean, what: string, timeoutMs = 45_000): Promise<Sample[]> {
    const samples: Sample[] = [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const started = Date.now();
      const current = await sample(name);
      samples.push(current);
      if (until(current)) return samples;
      if (Date.now() > deadline) throw new Error(`${name}: timed out waiting for ${what}; last seen: ${JSON.stringify({ status: current.service.status, pods: current.service.pods })}`);
      await new Promise((resolve) => setTimeout(resolve, Math.max(SAMPLE_EVERY_MS - (Date.now() - started), 0)));
    }
  }

  /** Creates a 2-replica httpd service of app:1 and waits for its rollout to complete; returns its pods. */
  async function createServing(name: string, settings: Record<string, unknown>): Promise<OldPod[]> {
    const created = await wharf().request('POST', paths.services(APP), {
      name,
      type: 'stateless',
      resourceSpec: '1U1G',
      instanceNumber: 2,
      ports: [{ port: 80, protocol: 'TCP' }],
      containers: [httpd(IMAGES.app1)],
      progressDeadlineSeconds: DEADLINE_SECONDS,
      ...settings,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    // Available may come a moment before httpd listens (minReadySeconds 0, no probe): wait for both to answer.
    const serving = (s: Sample) => s.service.status.rollout.state === 'complete' && s.service.status.available === 2 && [...s.http.values()].join() === '1,1';
    const [ready] = (await watch(name, serving, 'revision 1 to complete, both pods serving')).slice(-1);
    return Promise.all(
      (ready!.service.pods as any[]).map(async (pod) => {
        const inspected = await docker.getContainer(containerName(pod.name)).inspect();
        return { name: pod.name, containerId: inspected.Id, startedAt: inspected.State.StartedAt };
      }),
    );
  }

  const upgrade = async (name: string, body: Record<string, unknown>) => {
    const answer = await wharf().request('PUT', paths.action(APP, name, 'upgrade'), body);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.revision, 2);
  };

  /**
   * What a held rollout must show in every sample: both old pods listed, running and ready; their
   * sandbox and container running on the engine; both answering HTTP as revision 1; 2 available;
   * one surge pod at most; and the phase never `running` while the service is on the bad revision.
   */
  function assertOldPodsServe(samples: Sample[], oldPods: OldPod[], badRevision: number): void {
    for (const { at, service, engine, http } of samples) {
      const when = `${new Date(at).toISOString()} (revision ${service.revision}, rollout ${service.status.rollout.state})`;
      assert.ok(service.status.available >= 2, `at ${when}: available dropped to ${service.status.available}`);
      assert.ok(service.pods.length <= 3, `at ${when}: ${service.pods.length} pods at once`);
      if (service.revision === badRevision) assert.notEqual(service.status.phase, 'running', `at ${when}: phase running while revision ${badRevision} has no pod available`);
      for (const old of oldPods) {
        const pod = service.pods.find((one: any) => one.name === old.name);
        assert.ok(pod, `at ${when}: old pod ${old.name} is gone from the API`);
        assert.equal(pod.status.phase, 'running', `at ${when}: old pod ${old.name} is ${pod.status.phase}`);
        assert.equal(pod.ready, true, `at ${when}: old pod ${old.name} is not ready`);
        const onEngine = engine.filter((container) => container.Labels['io.wharf.pod'] === old.name);
        assert.deepEqual(
          onEngine.map((container) => `${container.Labels['io.wharf.role']}:${container.State}`).sort(),
          ['container:running', 'sandbox:running'],
          `at ${when}: old pod ${old.name} on the engine`,
        );
        assert.equal(onEngine.find((container) => container.Labels['io.wharf.role'] === 'container')?.Id, old.containerId, `at ${when}: old pod ${old.name} has another container`);
        assert.equal(http.get(old.name), '1', `at ${when}: old pod ${old.name} does not serve`);
      }
    }
  }

  /** The old pods' containers ran through it all: same start, no restart. */
  async function assertNeverRestarted(oldPods: OldPod[]): Promise<void> {
    for (const old of oldPods) {
      const { State } = await docker.getContainer(old.containerId).inspect();
      assert.equal(State.Running, true, `old pod ${old.name} still runs`);
      assert.equal(State.StartedAt, old.startedAt, `old pod ${old.name} was not restarted`);
      assert.equal(State.Restarting, false, `old pod ${old.name} is not restarting`);
    }
  }

  const newPods = (samples: Sample[], revision: number) => [...new Set(samples.flatMap((s) => s.service.pods.filter((pod: any) => pod.revision === revision).map((pod: any) => pod.name as string)))];

  // The crash-looping release of the issue: without probes, only minReadySeconds stands between a
  // container that is up for a few milliseconds between restarts and "available".
  let crashLoop: { resolve(pod: any): void; reject(error: Error): void } | undefined;
  const crashLoopPod = new Promise<any>((resolve, reject) => (crashLoop = { resolve, reject }));
  crashLoopPod.catch(() => {});

  it('a crash-looping release leaves both old pods serving for the whole deadline and fails with ProgressDeadlineExceeded', async () => {
    try {
      crashLoop!.resolve(await crashLoopRelease());
    } catch (error) {
      crashLoop!.reject(new Error('the crash-loop scenario failed before its pod could be looked at'));
      throw error;
    }
  });

  async function crashLoopRelease(): Promise<any> {
    const oldPods = await createServing('crashy', { minReadySeconds: 2 });
    const upgraded = Date.now();
    await upgrade('crashy', { containers: [CRASHING] });
    const samples = await watch('crashy', (s) => s.service.status.rollout.state === 'failed', 'the rollout to fail');
    const failedAt = samples.at(-1)!.at;
    // It stays where it stands: keep looking for 2 s more.
    const after = await watch('crashy', (s) => s.at - failedAt >= 2000, '2 s more');
    const all = [...samples, ...after];

    assertOldPodsServe(all, oldPods, 2);
    await assertNeverRestarted(oldPods);
    assert.ok(failedAt - upgraded >= DEADLINE_SECONDS * 1000, `failed only after the deadline (after ${failedAt - upgraded} ms)`);
    assert.ok(all.length >= (DEADLINE_SECONDS * 1000) / (2 * SAMPLE_EVERY_MS), `sampled throughout (${all.length} samples)`);
    const last = after.at(-1)!.service;
    assert.equal(last.revision, 2);
    assert.equal(last.status.rollout.revision, 2);
    assert.equal(last.status.rollout.state, 'failed', 'the rollout stays failed');
    assert.equal(last.status.rollout.reason, 'ProgressDeadlineExceeded');
    const crashing = newPods(all, 2);
    assert.ok(crashing.length >= 1, 'a pod of revision 2 was tried');
    assert.ok(crashing.some((pod) => last.status.rollout.message.includes(pod)), `the message names the pod: ${last.status.rollout.message}`);
    assert.ok(all.every((s) => s.service.pods.every((pod: any) => pod.revision === 1 || s.http.get(pod.name) !== '2')), 'no pod of revision 2 ever served');
    return last.pods.find((pod: any) => pod.revision === 2);
  }

  it('the crash-looping pod shows its restarts and its last exit code', async () => {
    const pod = await crashLoopPod;
    assert.ok(pod, 'the crash-looping pod is still there once the rollout failed');
    const [container] = pod.containerStatuses;
    assert.ok(container.restartCount > 0, `restartCount ${container.restartCount}: the engine restarted it`);
    assert.equal(container.lastState?.exitCode, 1, `lastState ${JSON.stringify(container.lastState)}`);
    assert.equal(container.lastState?.reason, 'Error', `lastState ${JSON.stringify(container.lastState)}`);
  });

  it('with autoRollback, the crash-looping release is rolled back to the old template, the old pods serving throughout', async () => {
    const oldPods = await createServing('rollback', { minReadySeconds: 2, autoRollback: true });
    await upgrade('rollback', { containers: [CRASHING] });
    const samples = await watch('rollback', (s) => s.service.revision === 3 && s.service.status.rollout.state === 'complete' && s.service.pods.length === 2, 'the rollback to complete');

    assertOldPodsServe(samples, oldPods, 2);
    await assertNeverRestarted(oldPods);
    const last = samples.at(-1)!.service;
    assert.deepEqual(
      { revision: last.status.rollout.revision, state: last.status.rollout.state, reason: last.status.rollout.reason },
      { revision: 3, state: 'complete', reason: 'RolledBack' },
    );
    assert.match(last.status.rollout.message, /made no progress for 10 s.*rolled back to the template of revision 1/);
    const crashing = newPods(samples, 2);
    assert.ok(crashing.some((pod) => last.status.rollout.message.includes(pod)), `the message names the pod: ${last.status.rollout.message}`);
    assert.deepEqual(last.containers.map((c: any) => ({ image: c.image, command: c.command, args: c.args })), [{ image: IMAGES.app1, command: ['httpd'], args: HTTPD_ARGS }]);
    // Revision 3 is revision 1's template: the old pods are its pods; nothing was replaced.
    assert.deepEqual(last.pods.map((pod: any) => pod.name).sort(), oldPods.map((pod) => pod.name).sort());
    assert.equal(last.status.phase, 'running');
    const revisions = (await wharf().request('GET', paths.revisions(APP, 'rollback'))).body;
    assert.equal(revisions.length, 3, `three revisions: ${JSON.stringify(revisions)}`);
    const left = (await projectContainers(REGION, PROJECT)).filter((c) => c.Labels['io.wharf.service'] === 'rollback');
    assert.deepEqual(left.map((c) => c.Labels['io.wharf.pod']).sort(), [...oldPods.map((pod) => pod.name), ...oldPods.map((pod) => pod.name)].sort(), 'the crash-looping pod is removed');
  });

  it('a release whose readiness probe fails (404) is held the same way', async () => {
    // minReadySeconds 0: the probe alone keeps the new pod, which runs and serves, from counting.
    const oldPods = await createServing('unready', { minReadySeconds: 0 });
    await upgrade('unready', { containers: [httpd(IMAGES.app2, { readinessProbe: readiness('/missing') })] });
    const samples = await watch('unready', (s) => s.service.status.rollout.state === 'failed', 'the rollout to fail');

    assertOldPodsServe(samples, oldPods, 2);
    await assertNeverRestarted(oldPods);
    const last = samples.at(-1)!.service;
    assert.equal(last.status.rollout.reason, 'ProgressDeadlineExceeded');
    const [unready] = last.pods.filter((pod: any) => pod.revision === 2);
    assert.ok(unready, 'the unready pod stays where the rollout stopped');
    assert.ok(last.status.rollout.message.includes(unready.name), `the message names the pod: ${last.status.rollout.message}`);
    // It runs and answers, but is never ready: the probe, not a crash, holds it.
    assert.equal(unready.containerStatuses[0].state, 'running');
    assert.equal(samples.at(-1)!.http.get(unready.name), '2', 'the unready pod serves /VERSION');
    for (const { at, service } of samples) {
      for (const pod of service.pods.filter((one: any) => one.revision === 2)) {
        assert.equal(pod.ready, false, `at ${new Date(at).toISOString()}: pod ${pod.name} ready with a failing readiness probe`);
        assert.equal(pod.containerStatuses[0].ready, false, `at ${new Date(at).toISOString()}: container of ${pod.name} ready with a failing readiness probe`);
      }
      assert.equal(service.status.available, 2, `at ${new Date(at).toISOString()}: ${service.status.available} available, the unready pod counted`);
    }
  });

  it('a good release with a readiness probe completes, counting a new pod only once its probe passes', async () => {
    const oldPods = await createServing('good', { minReadySeconds: 0 });
    // The new container serves only 3 s after it starts: before that its probe cannot pass.
    const late = { ...httpd(IMAGES.app2), command: ['/bin/sh'], args: ['-c', `sleep 3; exec httpd ${HTTPD_ARGS.join(' ')}`], readinessProbe: readiness('/VERSION') };
    await upgrade('good', { containers: [late] });
    const samples = await watch('good', (s) => s.service.status.rollout.state === 'complete' && s.service.status.rollout.revision === 2 && s.service.pods.length === 2, 'the rollout to complete');

    const last = samples.at(-1)!.service;
    assert.equal(last.status.rollout.reason, 'RolloutComplete');
    assert.equal(last.status.phase, 'running');
    assert.deepEqual(last.pods.map((pod: any) => pod.revision), [2, 2]);
    assert.deepEqual([...samples.at(-1)!.http.values()], ['2', '2'], 'both new pods serve');

    // When each new container started, as the engine says; they all still run, never restarted.
    const started = new Map<string, number>();
    for (const name of newPods(samples, 2)) {
      const inspected = await docker.getContainer(containerName(name)).inspect().catch(() => undefined);
      if (!inspected) continue; // a new pod replaced on the way: judged by the samples below alone
      assert.equal(inspected.RestartCount, 0, `new pod ${name} never restarted`);
      started.set(name, Date.parse(inspected.State.StartedAt));
    }
    assert.equal(started.size, 2, 'both final pods were inspected');
    const probeCanPass = (name: string, at: number) => started.has(name) && at >= started.get(name)! + 3000 - 100;

    for (const { at, service, http } of samples) {
      const when = `at ${new Date(at).toISOString()}`;
      assert.ok(service.status.available >= 2, `${when}: available dropped to ${service.status.available}`);
      // One surge pod at most. A replaced pod is terminating while it stops, and counts no more (as
      // Kubernetes counts maxSurge): the next new pod starts meanwhile; one more pod at most, then.
      const present = service.pods.filter((pod: any) => pod.status.phase !== 'terminating').length;
      assert.ok(present <= 3, `${when}: ${present} pods at once, terminating ones aside`);
      assert.ok(service.pods.length <= 4, `${when}: ${service.pods.length} pods at once`);
      const serving = [...http.values()].filter((answer) => !answer.startsWith('error')).length;
      assert.ok(serving >= 2, `${when}: only ${serving} pod(s) answer HTTP`);
      const oldListed = service.pods.filter((pod: any) => pod.revision === 1 && pod.ready).length;
      const newCounted = service.status.available - oldListed;
      const newPassable = service.pods.filter((pod: any) => pod.revision === 2 && probeCanPass(pod.name, at)).length;
      assert.ok(newCounted <= newPassable, `${when}: ${newCounted} new pod(s) counted available, ${newPassable} could have passed the probe`);
      for (const pod of service.pods.filter((one: any) => one.revision === 2)) {
        if (!pod.ready && !pod.containerStatuses[0].ready) continue;
        assert.ok(probeCanPass(pod.name, at), `${when}: new pod ${pod.name} ready ${at - (started.get(pod.name) ?? NaN)} ms after its container started, before httpd did`);
        assert.equal(http.get(pod.name), '2', `${when}: new pod ${pod.name} ready but not serving`);
      }
    }
    // The old pods left only after new ones were available: revision 1 served until then.
    const firstNewReady = samples.findIndex((s) => s.service.pods.some((pod: any) => pod.revision === 2 && pod.ready));
    assert.ok(firstNewReady > 0, 'a new pod was seen not ready, then ready');
    assertOldPodsServe(samples.slice(0, firstNewReady), oldPods, 2);
  });
});
