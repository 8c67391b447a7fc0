import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../../../src/config.js';
import type { EventInput } from '../../../src/domain/events.js';
import type { ServiceKey } from '../../../src/domain/keys.js';
import { createService } from '../../../src/domain/service.js';
import { planWorkload } from '../../../src/domain/workload-plan.js';
import { NO_POD_INPUTS } from '../../../src/domain/pod-inputs.js';
import { withPodTemplateHash } from '../../../src/domain/configmaps.js';
import { regionPolicy } from '../../../src/regions.js';
import { KubernetesApi } from '../../../src/runtime/kubernetes/api.js';
import { KubernetesRuntime } from '../../../src/runtime/kubernetes/kubernetes-runtime.js';
import { kubernetesSettings } from '../../../src/runtime/kubernetes/settings.js';
import { apiPaths, eventually } from '../../support/api.js';
import { KubeApiServer } from '../../support/kube-api-server.js';
import { startKubernetesWharf, writeKubeconfig } from '../../support/kubernetes-scenarios.js';
import type { TestWharf } from '../../support/wharf.js';

// Kubernetes events, read off the pod status changes the runtime's watch sees (domain/pod-events.ts),
// against the test API server.

const REGION = loadConfig({}).regions[0]!;
const POLICY = regionPolicy(REGION, 'kubernetes');
let server: KubeApiServer;

before(async () => {
  server = await KubeApiServer.start();
});
after(async () => server.close());

describe('the Kubernetes driver records what the cluster did to pods', () => {
  let runtime: KubernetesRuntime;
  const recorded: EventInput[] = [];
  const at: ServiceKey = { region: 'r1', project: 'events', app: 'app0', service: 'web' };

  before(async () => {
    runtime = new KubernetesRuntime({
      region: 'r1',
      settings: kubernetesSettings({ kubernetes: {}, security: REGION.security, defaultVolumeSizeGi: 10, storageTypes: [{ type: 'default' }] }),
      api: new KubernetesApi(server.kubeConfig()),
      log: pino({ level: 'silent' }),
      events: { record: (event) => recorded.push(event) },
      backoff: { baseDelayMs: 10, maxDelayMs: 50 },
    });
    await runtime.start(() => undefined);
    const desired = createService(at, { name: 'web', type: 'stateless', resourceSpec: '1U1G', containers: [{ name: 'main', image: 'nginx:1.27' }, { name: 'side', image: 'busybox:nope' }] }, POLICY, {
      uid: 'uid-events',
      now: new Date().toISOString(),
    }).state;
    for (const operation of planWorkload(at, withPodTemplateHash(desired, new Map()), undefined, { cpu: 1, memoryMb: 1024 }, NO_POD_INPUTS)) await runtime.execute(operation);
  });
  after(async () => runtime.close());

  /** Puts the pod with this status and waits until the runtime's cache shows the change; returns what that recorded. */
  async function podChanges(status: object, extra: object = {}): Promise<Array<{ reason: string; type: string; container?: string; message: string }>> {
    const template = server.get('deployments', 'wharf-events', 'app0-web')!.spec.template.metadata;
    const view = (): string => JSON.stringify(runtime.observe(at).pods.map((pod) => [pod.status, pod.containerStatuses]));
    const seen = view();
    const before = recorded.length;
    server.put('pods', {
      metadata: { name: 'app0-web-abc-12345', namespace: 'wharf-events', ...template, ...extra },
      spec: { containers: [{ name: 'main' }, { name: 'side' }] },
      status,
    });
    await eventually(async () => view(), (now) => now !== seen, 10_000);
    for (const event of recorded.slice(before)) assert.deepEqual(event.key, at, 'of the service');
    return recorded.slice(before).map(({ reason, type, container, message }) => ({ reason, type, ...(container ? { container } : {}), message }));
  }

  const running = (name: string, startedAt: string, ready: boolean, restartCount = 0, lastState?: object) => ({
    name, state: { running: { startedAt } }, ready, restartCount, ...(lastState ? { lastState } : {}),
  });

  test('a new pod: PodCreated; its image failing to pull: ErrImagePull naming the container', async () => {
    const events = await podChanges({
      phase: 'Pending',
      containerStatuses: [
        { name: 'main', state: { waiting: { reason: 'ContainerCreating' } }, ready: false, restartCount: 0 },
        { name: 'side', state: { waiting: { reason: 'ErrImagePull', message: 'rpc error: pull access denied for busybox:nope' } }, ready: false, restartCount: 0 },
      ],
    });
    assert.deepEqual(events.map((event) => event.reason), ['PodCreated', 'ErrImagePull']);
    assert.equal(events[1]!.type, 'Warning');
    assert.equal(events[1]!.container, 'side');
    assert.match(events[1]!.message, /pull access denied/);
  });

  test('containers start: Started, once each', async () => {
    const events = await podChanges({
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [running('main', '2026-01-01T00:00:10Z', true), running('side', '2026-01-01T00:00:11Z', true)],
    });
    assert.deepEqual(events.map((event) => [event.reason, event.container]), [['Started', 'main'], ['Started', 'side']]);
  });

  test('a ready container that turns not ready: Unhealthy', async () => {
    const events = await podChanges({
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'False' }],
      containerStatuses: [running('main', '2026-01-01T00:00:10Z', false), running('side', '2026-01-01T00:00:11Z', true)],
    });
    assert.deepEqual(events.map((event) => [event.reason, event.type, event.container]), [['Unhealthy', 'Warning', 'main']]);
  });

  test('a crash: Exited with its code and BackOff; a restart: Started; an OOM kill: OOMKilled', async () => {
    const crashed = await podChanges({
      phase: 'Running',
      containerStatuses: [
        { name: 'main', state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container' } }, ready: false, restartCount: 1,
          lastState: { terminated: { exitCode: 2, reason: 'Error', finishedAt: '2026-01-01T00:01:00Z' } } },
        running('side', '2026-01-01T00:00:11Z', true),
      ],
    });
    assert.deepEqual(crashed.map((event) => [event.reason, event.type]), [['Exited', 'Warning'], ['BackOff', 'Warning']]);
    assert.match(crashed[0]!.message, /container main exited with code 2/);

    const restarted = await podChanges({
      phase: 'Running',
      containerStatuses: [
        running('main', '2026-01-01T00:01:10Z', true, 1, { terminated: { exitCode: 2, reason: 'Error', finishedAt: '2026-01-01T00:01:00Z' } }),
        running('side', '2026-01-01T00:00:11Z', true),
      ],
    });
    assert.deepEqual(restarted.map((event) => event.reason), ['Started']);

    const oom = await podChanges({
      phase: 'Running',
      containerStatuses: [
        { name: 'main', state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 20s restarting failed container' } }, ready: false, restartCount: 2,
          lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: '2026-01-01T00:02:00Z' } } },
        running('side', '2026-01-01T00:00:11Z', true),
      ],
    });
    assert.deepEqual(oom.map((event) => event.reason), ['OOMKilled', 'BackOff']);
    assert.match(oom[0]!.message, /out of memory \(exit code 137\)/);
  });

  test('a pod being deleted: Killing, and nothing else of it', async () => {
    const events = await podChanges({
      phase: 'Running',
      containerStatuses: [running('main', '2026-01-01T00:03:00Z', true, 2), running('side', '2026-01-01T00:00:11Z', true)],
    }, { deletionTimestamp: new Date().toISOString() });
    assert.deepEqual(events.map((event) => event.reason), ['Killing']);
  });

  test('a relist after the watch\'s history was compacted: the same pods again, nothing recorded', async () => {
    const before = recorded.length;
    const lists = (): number => server.requests.filter((request) => request.verb === 'list' && request.resource === 'pods').length;
    const listed = lists();
    server.compact();
    server.endWatches();
    await eventually(async () => lists(), (count) => count > listed, 10_000);
    // The relist's pods reach the cache before the runtime tells anyone: give it that turn.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(recorded.length, before, JSON.stringify(recorded.slice(before)));
  });
});

describe('Wharf on the test API server: the events routes', () => {
  const paths = apiPaths('local', 'kevents');
  let wharf: TestWharf;
  let stopControllers: () => void;
  before(async () => {
    stopControllers = server.simulateControllers();
    wharf = await startKubernetesWharf(writeKubeconfig(server.kubeconfigYaml()), 'wharf-');
  });
  after(async () => {
    await wharf.stop();
    stopControllers();
  });

  test('a service\'s events: the API\'s, the pods the cluster created and started, the rollout\'s outcome; and the project list', async () => {
    const web = { name: 'web', type: 'stateless', resourceSpec: '1U1G', instanceNumber: 2, containers: [{ name: 'main', image: 'nginx:1.27' }] };
    assert.equal((await wharf.request('POST', paths.apps, { name: 'shop', microservices: [web] })).status, 201);
    const events = (await eventually(
      () => wharf.request('GET', `${paths.service('shop', 'web')}/events`),
      (answer) => answer.status === 200 && answer.body.some((event: any) => event.reason === 'RolloutComplete'),
      15_000,
    )).body;
    const reasons = events.map((event: any) => event.reason);
    assert.equal(reasons[0], 'Created');
    assert.equal(events.filter((event: any) => event.reason === 'PodCreated').length, 2, `two pods: ${reasons}`);
    assert.ok(reasons.includes('Started'), `containers started: ${reasons}`);
    assert.ok(reasons.indexOf('PodCreated') < reasons.indexOf('RolloutComplete'), `in order: ${reasons}`);
    const project = (await wharf.request('GET', '/regions/local/v1/projects/kevents/events')).body;
    assert.deepEqual(project.map((event: any) => event.id), events.map((event: any) => event.id));
  });
});
