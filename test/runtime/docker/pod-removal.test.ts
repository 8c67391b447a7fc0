import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, test } from 'node:test';
import type Docker from 'dockerode';
import { pino } from 'pino';
import type { EventInput } from '../../../src/domain/events.js';
import { podTemplateOf, type PodSpec } from '../../../src/domain/plan.js';
import { NO_POD_INPUTS } from '../../../src/domain/pod-inputs.js';
import { DockerRuntime } from '../../../src/runtime/docker/docker-runtime.js';
import { containerLabels, sandboxLabels } from '../../../src/runtime/docker/labels.js';
import { desiredState, KEY } from '../../domain/fixtures.js';

const owner = { region: KEY.region, instanceId: 'a1b2c3' };
const STOP_GRACE_SECONDS = 7;
const configMapRoot = mkdtempSync(join(tmpdir(), 'wharf-pod-removal-'));
after(() => rmSync(configMapRoot, { recursive: true, force: true }));

function podSpec(name: string, revision: number): PodSpec {
  const desired = desiredState({ revision, podTemplateHash: `hash${revision}` });
  return { name, ...podTemplateOf(desired, { cpu: 1, memoryMb: 1024 }, NO_POD_INPUTS) };
}

/** A stop the test ends when it chooses: as a container's grace period runs out, or the engine fails it. */
interface HeldStop {
  id: string;
  graceSeconds: number | undefined;
  finish(): void;
  fail(error: Error): void;
}

/**
 * An engine with the containers of the pods given, running. Every stop waits for the test
 * (`stops`); a container stopped is `exited`, a container removed is gone. Creations succeed.
 */
function fakeEngine(pods: PodSpec[]) {
  const containers = new Map<string, { Labels: Record<string, string>; State: string; Status: string }>();
  const add = (id: string, labels: Record<string, string>) => containers.set(id, { Labels: labels, State: 'running', Status: 'Up 1 hour' });
  for (const spec of pods) {
    add(`${spec.name}-sandbox`, sandboxLabels(owner, spec));
    add(`${spec.name}-web`, containerLabels(owner, spec, spec.containers[0]!));
  }
  const stops: HeldStop[] = [];
  const networks: Array<{ Id: string; Name: string; Created: string }> = [];
  const matches = (labels: Record<string, string>, filters: string[]) => filters.every((filter) => {
    const [name, value] = filter.split('=');
    return value === undefined ? name! in labels : labels[name!] === value;
  });
  const container = (id: string) => ({
    id,
    start: async () => {
      containers.get(id)!.State = 'running';
    },
    stop: (options: { t?: number }) => new Promise<void>((resolve, reject) => {
      stops.push({
        id,
        graceSeconds: options.t,
        finish: () => {
          containers.get(id)!.State = 'exited';
          resolve();
        },
        fail: reject,
      });
    }),
    remove: async () => {
      containers.delete(id);
    },
    inspect: async () => ({ Id: id, RestartCount: 0, State: { Running: true, StartedAt: '2026-01-01T00:00:00Z', FinishedAt: '0001-01-01T00:00:00Z', ExitCode: 0, OOMKilled: false } }),
  });
  const docker = {
    getEvents: async () => new PassThrough(),
    info: async () => ({ NCPU: 2 }),
    createVolume: async () => ({}),
    getVolume: () => ({ inspect: async () => ({ Labels: { 'io.wharf.instance': owner.instanceId } }) }),
    listVolumes: async () => ({ Volumes: [] }),
    getImage: () => ({ inspect: async () => ({ Config: {} }) }),
    listNetworks: async () => networks,
    createNetwork: async (options: Docker.NetworkCreateOptions) => {
      networks.push({ Id: `network-${networks.length + 1}`, Name: options.Name, Created: new Date().toISOString() });
      return {};
    },
    listContainers: async (options: { filters: { label: string[] } }) =>
      [...containers].filter(([, info]) => matches(info.Labels, options.filters.label)).map(([id, info]) => ({ Id: id, Created: 1_700_000_000, Ports: [], ...info })),
    getContainer: container,
    createContainer: async (options: Docker.ContainerCreateOptions) => {
      add(options.name!, options.Labels!);
      return container(options.name!);
    },
  } as unknown as Docker;
  return { docker, stops };
}

async function startRuntime(docker: Docker, events: EventInput[]): Promise<DockerRuntime> {
  const runtime = new DockerRuntime(
    docker,
    {
      address: 'unix:///fake.sock',
      region: owner.region,
      instanceId: owner.instanceId,
      sandboxImage: 'sandbox:1',
      publishPorts: false,
      publishAddress: '127.0.0.1',
      security: { pidsLimit: 1024, runAsNonRoot: false, readOnlyRootFilesystem: false },
      stopGraceSeconds: STOP_GRACE_SECONDS,
      resyncIntervalMs: 60_000,
      reconnectIntervalMs: 60_000,
      configMapRoot,
      volumes: { all: async () => [] },
      volumeDrivers: new Map(),
      events: { record: (event) => events.push(event) },
      leads: () => true,
    },
    pino({ level: 'silent' }),
  );
  await runtime.start(() => {});
  return runtime;
}

async function until(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    assert.ok(Date.now() < deadline, `within 5 s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Whether the promise has settled by the time everything already queued has run. */
async function hasSettled(promise: Promise<unknown>): Promise<boolean> {
  return Promise.race([promise.then(() => true, () => true), new Promise<boolean>((resolve) => setImmediate(() => resolve(false)))]);
}

describe('DockerRuntime: a pod is removed in the background', () => {
  test('the remove returns while the old pod stops, which shows terminating meanwhile; the next create goes ahead; no container is stopped twice', async () => {
    const old = podSpec('web-old', 1);
    const engine = fakeEngine([old]);
    const runtime = await startRuntime(engine.docker, []);
    const phaseOf = (name: string) => runtime.observe(KEY).pods.find((pod) => pod.name === name)?.status.phase;
    assert.equal(phaseOf('web-old'), 'running');

    const removing = runtime.execute({ action: 'remove', key: KEY, pod: 'web-old', cause: 'revision 1 is replaced' });
    await until('the old pod\'s container is being stopped', () => engine.stops.length === 1);
    assert.equal(await hasSettled(removing), true, 'the remove returned while the stop is under way');
    await removing;
    assert.deepEqual(runtime.observe(KEY).pods.find((pod) => pod.name === 'web-old')?.status, { phase: 'terminating', reason: 'Terminating', message: 'revision 1 is replaced' });
    assert.deepEqual(engine.stops.map((stop) => [stop.id, stop.graceSeconds]), [['web-old-web', STOP_GRACE_SECONDS]], 'the app container first, with the grace period');

    // The plan's next operation: it is issued, and the new pod runs, while the old one still stops.
    await runtime.execute({ action: 'create', pod: podSpec('web-new', 2), cause: 'surge' });
    await until('the new pod runs', () => phaseOf('web-new') === 'running');
    assert.equal(phaseOf('web-old'), 'terminating');
    // The same remove again (a plan made before the first showed): it joins the removal under way.
    await runtime.execute({ action: 'remove', key: KEY, pod: 'web-old', cause: 'revision 1 is replaced' });

    engine.stops[0]!.finish();
    await until('the sandbox is being stopped after the app container', () => engine.stops.length === 2);
    assert.equal(engine.stops[1]!.id, 'web-old-sandbox');
    engine.stops[1]!.finish();
    await until('the old pod is gone', () => phaseOf('web-old') === undefined);
    assert.deepEqual(engine.stops.map((stop) => stop.id), ['web-old-web', 'web-old-sandbox'], 'each container stopped once');
    assert.deepEqual(runtime.observe(KEY).pods.map((pod) => pod.name), ['web-new']);
    await runtime.close();
  });

  test('a stop that fails is reported and tried again, the pod terminating throughout, never serving again', async () => {
    const old = podSpec('web-old', 1);
    const engine = fakeEngine([old]);
    const events: EventInput[] = [];
    const runtime = await startRuntime(engine.docker, events);
    const oldPod = () => runtime.observe(KEY).pods.find((pod) => pod.name === 'web-old');

    await runtime.execute({ action: 'remove', key: KEY, pod: 'web-old', cause: 'scale down to 0' });
    await until('the old pod\'s container is being stopped', () => engine.stops.length === 1);
    engine.stops[0]!.fail(Object.assign(new Error('(HTTP code 500) server error - cannot stop container'), { statusCode: 500 }));
    await until('the failure shows on the pod', () => oldPod()?.status.message.includes('stopping it failed') === true);
    assert.equal(oldPod()?.status.phase, 'terminating');
    assert.match(oldPod()!.status.message, /^scale down to 0; stopping it failed, trying again in 1 s: .*cannot stop container/);
    assert.deepEqual(events.map((event) => [event.type, event.reason, event.pod]), [['Warning', 'FailedKillPod', 'web-old']]);

    await until('the stop is tried again', () => engine.stops.length === 2);
    assert.equal(engine.stops[1]!.id, 'web-old-web');
    engine.stops[1]!.finish();
    await until('the sandbox is being stopped', () => engine.stops.length === 3);
    engine.stops[2]!.finish();
    await until('the old pod is gone', () => oldPod() === undefined);
    await runtime.close();
  });
});

describe('DockerRuntime: a replica that stops leading stops changing the engine', () => {
  test('a removal whose stop failed is not tried again, and the pod shows as the engine has it', async () => {
    const engine = fakeEngine([podSpec('web-old', 1)]);
    const runtime = await startRuntime(engine.docker, []);
    const oldPod = () => runtime.observe(KEY).pods.find((pod) => pod.name === 'web-old');

    await runtime.execute({ action: 'remove', key: KEY, pod: 'web-old', cause: 'scale down to 0' });
    await until('the old pod\'s container is being stopped', () => engine.stops.length === 1);
    engine.stops[0]!.fail(Object.assign(new Error('(HTTP code 500) server error - cannot stop container'), { statusCode: 500 }));
    await until('the failure shows on the pod', () => oldPod()?.status.message.includes('stopping it failed') === true);

    await runtime.relinquish();
    assert.equal(oldPod()?.status.phase, 'running', 'no longer terminating: its containers still run');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(engine.stops.length, 1, 'the stop is not tried again after the retry delay (1 s)');
    await runtime.close();
  });

  test('a creation that keeps failing is not tried again, and the pod no longer shows pending', async () => {
    const engine = fakeEngine([]);
    let creates = 0;
    engine.docker.createContainer = (async () => {
      creates++;
      throw Object.assign(new Error('(HTTP code 500) server error - no space left on device'), { statusCode: 500 });
    }) as Docker['createContainer'];
    const runtime = await startRuntime(engine.docker, []);
    const newPod = () => runtime.observe(KEY).pods.find((pod) => pod.name === 'web-new');

    await runtime.execute({ action: 'create', pod: podSpec('web-new', 1), cause: 'scale up' });
    await until('the failure shows on the pod', () => newPod()?.status.reason === 'CreateContainerError');
    assert.equal(newPod()?.status.phase, 'pending');

    await runtime.relinquish();
    assert.equal(newPod(), undefined, 'the engine has no container of it');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(creates, 1, 'the creation is not tried again after the retry delay (1 s)');
    await runtime.close();
  });
});
