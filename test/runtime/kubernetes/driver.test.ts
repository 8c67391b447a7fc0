import assert from 'node:assert/strict';
import type { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import type { ServiceCreate } from '../../../src/model/service.js';
import type { QuotaLimits } from '../../../src/model/quota.js';
import { loadConfig } from '../../../src/config.js';
import { keyString, type ServiceKey } from '../../../src/domain/keys.js';
import { describe as describeOperation } from '../../../src/domain/plan.js';
import { withPodTemplateHash } from '../../../src/domain/configmaps.js';
import { createService, scaleService, setPorts, setStopped, upgradeService, type ServiceState } from '../../../src/domain/service.js';
import { planWorkload } from '../../../src/domain/workload-plan.js';
import { regionPolicy } from '../../../src/regions.js';
import { API_CALLS, KubernetesApi } from '../../../src/runtime/kubernetes/api.js';
import { KubernetesRuntime } from '../../../src/runtime/kubernetes/kubernetes-runtime.js';
import { durationSeconds, quantity } from '../../../src/runtime/kubernetes/metrics.js';
import { kubernetesSettings } from '../../../src/runtime/kubernetes/settings.js';
import { RuntimeUnavailableError } from '../../../src/runtime/runtime.js';
import { configMapDigestsOf, type ConfigMapContent } from '../../../src/domain/pod-inputs.js';
import type { VolumeSpec } from '../../../src/domain/volumes.js';
import { KubeApiServer, type KubeObject } from '../../support/kube-api-server.js';

const REGION = loadConfig({}).regions[0]!;
const POLICY = regionPolicy(REGION, 'kubernetes');
const RESOURCES = { cpu: 1, memoryMb: 1024 };

let server: KubeApiServer;
let runtime: KubernetesRuntime;
const changed: string[] = [];
/** Relists after a watch's first (what wharf_engine_watch_reconnects_total counts). */
let watchRestarts = 0;
/** The store's ConfigMaps, by `<project>/<name>`. */
const configMaps = new Map<string, ConfigMapContent>();
/** The store's volumes, by `<project>/<name>`. */
const volumes = new Map<string, VolumeSpec>();
/** The store's project quotas, by project; absent: no limits. */
const quotas = new Map<string, QuotaLimits>();

before(async () => {
  server = await KubeApiServer.start();
  runtime = new KubernetesRuntime({
    region: 'r1',
    settings: kubernetesSettings({
      kubernetes: { storageClass: 'fast' },
      security: REGION.security,
      defaultVolumeSizeGi: 10,
      storageTypes: [{ type: 'fast' }, { type: 'slow', kubernetes: { storageClass: 'slow-hdd' } }],
    }),
    api: new KubernetesApi(server.kubeConfig()),
    log: pino({ level: 'silent' }),
    events: { record: () => undefined },
    backoff: { baseDelayMs: 10, maxDelayMs: 50 },
    watchRestarted: () => watchRestarts++,
  });
  await runtime.start((key) => changed.push(keyString(key)));
});

after(async () => {
  await runtime.close();
  await server.close();
});

function key(project: string, app = 'app0', service = 'service0'): ServiceKey {
  return { region: 'r1', project, app, service };
}

function create(at: ServiceKey, input: Partial<ServiceCreate> = {}): ServiceState {
  const body: ServiceCreate = {
    name: at.service,
    type: 'stateless',
    resourceSpec: '1U1G',
    instanceNumber: 2,
    ports: [{ port: 80, protocol: 'TCP' }],
    containers: [{ image: 'nginx:1.27' }],
    ...input,
  };
  return createService(at, body, POLICY, { uid: `uid-${at.project}-${Math.random()}`, now: new Date().toISOString() }).state;
}

/** observe -> plan -> execute, as the controller does (the project's ConfigMaps, volumes and quota resolved first); returns the plan as text. */
async function reconcile(at: ServiceKey, desired: ServiceState | undefined): Promise<string[]> {
  const ofProject = <T>(stored: Map<string, T>) => new Map([...stored].filter(([id]) => id.startsWith(`${at.project}/`)).map(([id, value]) => [id.split('/')[1]!, value]));
  const inputs = { configMaps: ofProject(configMaps), volumes: ofProject(volumes), projectQuota: quotas.get(at.project) ?? {} };
  const operations = planWorkload(at, desired && withPodTemplateHash(desired, configMapDigestsOf(inputs)), runtime.observe(at).workload, RESOURCES, inputs);
  for (const operation of operations) await runtime.execute(operation);
  return operations.map(describeOperation);
}

async function eventually(check: () => void, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

const lists = (resource: string): number => server.requests.filter((request) => request.verb === 'list' && request.resource === resource && !request.namespace).length;

describe('writing workloads', () => {
  test('create: namespace on first use, volume claim, StatefulSet and Service by server-side apply; observed at once', async () => {
    const at = key('create');
    const desired = create(at, {
      type: 'stateful',
      instanceNumber: 1,
      containers: [{ image: 'postgres:16', volumeMounts: [{ volumeName: 'data', mountPath: '/var/lib/postgresql', readOnly: false }] }],
    });
    assert.deepEqual(await reconcile(at, desired), ['apply revision 1 with 1 replica(s): the service has no workload']);

    assert.ok(server.get('namespaces', undefined, 'wharf-create'), 'the namespace is applied');
    const claim = server.get('persistentvolumeclaims', 'wharf-create', 'data');
    assert.equal(claim?.spec.storageClassName, 'fast');
    assert.equal(claim?.spec.resources.requests.storage, '10Gi');
    const statefulSet = server.get('statefulsets', 'wharf-create', 'app0-service0');
    assert.equal(statefulSet?.spec.replicas, 1);
    assert.equal(statefulSet?.metadata.labels?.['wharf.io/service-uid'], desired.uid);
    assert.deepEqual(server.get('services', 'wharf-create', 'app0-service0')?.spec.ports, [{ name: 'tcp-80', protocol: 'TCP', port: 80, targetPort: 80 }]);

    const applies = server.requests.filter((request) => request.method === 'PATCH' && request.namespace === 'wharf-create' && request.verb === 'patch');
    assert.ok(applies.length >= 2, 'namespace, workload and Service are applied');
    for (const request of applies) {
      assert.equal(request.contentType, 'application/apply-patch+yaml');
      assert.equal(request.query.get('fieldManager'), 'wharf');
      assert.equal(request.query.get('force'), 'true');
    }
    // The apply's answer is in the cache before execute resolves: the next plan is empty.
    assert.deepEqual(await reconcile(at, desired), []);
  });

  test('a volume claim is created with the size and the storage type\'s class the volume has in the store', async () => {
    const at = key('sized');
    volumes.set('sized/data', { project: 'sized', name: 'data', sizeGi: 25, storageType: 'slow' });
    const mount = { volumeName: 'data', mountPath: '/data', readOnly: false };
    await reconcile(at, create(at, { type: 'stateful', instanceNumber: 1, containers: [{ image: 'redis:7', volumeMounts: [mount] }] }));
    const claim = server.get('persistentvolumeclaims', 'wharf-sized', 'data');
    assert.equal(claim?.spec.resources.requests.storage, '25Gi');
    assert.equal(claim?.spec.storageClassName, 'slow-hdd');
  });

  test('volume status follows the claim\'s phase: none or Pending creating, Bound success, Lost error', async () => {
    const labels = { 'app.kubernetes.io/managed-by': 'wharf', 'wharf.io/project': 'phases' };
    const claim = (phase?: string) => ({ metadata: { name: 'data', namespace: 'wharf-phases', labels }, spec: { volumeName: 'pv-1' }, ...(phase ? { status: { phase } } : {}) });
    assert.deepEqual(runtime.volumeStatus('phases', 'data'), { status: 'creating', message: '' }, 'no claim yet');
    server.put('persistentvolumeclaims', claim('Pending'));
    await eventually(() => assert.deepEqual(runtime.volumeStatus('phases', 'data'), { status: 'creating', message: '' }));
    server.put('persistentvolumeclaims', claim('Bound'));
    await eventually(() => assert.equal(runtime.volumeStatus('phases', 'data').status, 'success'));
    server.put('persistentvolumeclaims', claim('Lost'));
    await eventually(() => assert.equal(runtime.volumeStatus('phases', 'data').status, 'error'));
    assert.match(runtime.volumeStatus('phases', 'data').message, /pv-1/);
    assert.equal(runtime.volumeStatus('other', 'data').status, 'creating', 'another project\'s claim of the same name is another volume');
    server.remove('persistentvolumeclaims', 'wharf-phases', 'data');
    await eventually(() => assert.equal(runtime.volumeStatus('phases', 'data').status, 'creating'));
  });

  test('an existing volume claim is left as it is', async () => {
    const at = key('claims');
    const mount = { volumeName: 'keep', mountPath: '/data', readOnly: false };
    server.put('namespaces', { metadata: { name: 'wharf-claims' } });
    server.put('persistentvolumeclaims', { metadata: { name: 'keep', namespace: 'wharf-claims' }, spec: { resources: { requests: { storage: '1Gi' } } } });
    await reconcile(at, create(at, { type: 'stateful', instanceNumber: 1, containers: [{ image: 'redis:7', volumeMounts: [mount] }] }));
    assert.equal(server.get('persistentvolumeclaims', 'wharf-claims', 'keep')?.spec.resources.requests.storage, '1Gi');
    assert.ok(server.get('statefulsets', 'wharf-claims', 'app0-service0'), 'the StatefulSet is applied');
  });

  test('upgrade: the new template is applied and Kubernetes rolls it out with maxSurge 1, maxUnavailable 0', async () => {
    const at = key('upgrade');
    const first = create(at);
    await reconcile(at, first);
    const { state: second } = upgradeService(first, { containers: [{ image: 'nginx:1.28' }] }, POLICY, new Date().toISOString());
    assert.deepEqual(await reconcile(at, second), ['apply revision 2 with 2 replica(s): roll out revision 2 over revision 1']);

    const deployment = server.get('deployments', 'wharf-upgrade', 'app0-service0')!;
    assert.equal(deployment.spec.template.spec.containers[0].image, 'nginx:1.28');
    assert.equal(deployment.spec.template.metadata.annotations['wharf.io/revision'], '2');
    assert.equal(deployment.spec.template.metadata.annotations['wharf.io/template-hash'], second.templateHash);
    assert.deepEqual(deployment.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    assert.equal(deployment.metadata.generation, 2);
  });

  test('stop, start and scale go through the scale subresource', async () => {
    const at = key('scale');
    let desired = create(at);
    await reconcile(at, desired);
    const replicas = () => server.get('deployments', 'wharf-scale', 'app0-service0')?.spec.replicas;

    desired = setStopped(desired, true, 'later').state;
    assert.deepEqual(await reconcile(at, desired), ['scale to 0 replica(s): the service is stopped']);
    assert.equal(replicas(), 0);
    desired = scaleService(desired, 3, POLICY, 'later').state;
    assert.deepEqual(await reconcile(at, desired), [], 'a stopped service scaled stays stopped');
    desired = setStopped(desired, false, 'later').state;
    assert.deepEqual(await reconcile(at, desired), ['scale to 3 replica(s): the service is started with 3 instance(s)']);
    assert.equal(replicas(), 3);
    desired = scaleService(desired, 1, POLICY, 'later').state;
    assert.deepEqual(await reconcile(at, desired), ['scale to 1 replica(s): scale from 3 to 1']);
    assert.equal(replicas(), 1);

    const scales = server.requests.filter((request) => request.resource === 'deployments/scale');
    assert.equal(scales.length, 3);
    assert.ok(scales.every((request) => request.contentType === 'application/merge-patch+json'), 'scale is a merge patch');
  });

  test('a stateful service stops to 0 replicas and starts with its one', async () => {
    const at = key('stateful-stop');
    let desired = create(at, { type: 'stateful', instanceNumber: 1 });
    await reconcile(at, desired);
    desired = setStopped(desired, true, 'later').state;
    assert.deepEqual(await reconcile(at, desired), ['scale to 0 replica(s): the service is stopped']);
    assert.equal(server.get('statefulsets', 'wharf-stateful-stop', 'app0-service0')?.spec.replicas, 0);
    desired = setStopped(desired, false, 'later').state;
    assert.deepEqual(await reconcile(at, desired), ['scale to 1 replica(s): the service is started with 1 instance(s)']);
    assert.equal(server.get('statefulsets', 'wharf-stateful-stop', 'app0-service0')?.spec.replicas, 1);
  });

  test('ports: removing every port deletes the Service, adding one applies it again', async () => {
    const at = key('ports');
    let desired = create(at);
    await reconcile(at, desired);
    desired = setPorts(desired, [], POLICY, 'later').state;
    assert.deepEqual(await reconcile(at, desired), ['apply revision 1 with 2 replica(s): ports change from [80/TCP] to []']);
    assert.equal(server.get('services', 'wharf-ports', 'app0-service0'), undefined);
    desired = setPorts(desired, [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }], POLICY, 'later').state;
    await reconcile(at, desired);
    assert.deepEqual(
      server.get('services', 'wharf-ports', 'app0-service0')?.spec.ports.map((port: any) => port.name),
      ['udp-53', 'tcp-53'],
    );
  });

  test('delete: workloads and Service go by label; volume claims stay', async () => {
    const at = key('delete');
    const mount = { volumeName: 'data', mountPath: '/data', readOnly: false };
    await reconcile(at, create(at, { type: 'stateful', instanceNumber: 1, containers: [{ image: 'redis:7', volumeMounts: [mount] }] }));
    server.rollOut('statefulsets', 'wharf-delete', 'app0-service0');
    await eventually(() => assert.equal(runtime.observe(at).pods.length, 1));

    assert.deepEqual(await reconcile(at, undefined), ['delete the workload: the service was deleted']);
    assert.equal(server.get('statefulsets', 'wharf-delete', 'app0-service0'), undefined);
    assert.equal(server.get('services', 'wharf-delete', 'app0-service0'), undefined);
    assert.ok(server.get('persistentvolumeclaims', 'wharf-delete', 'data'), 'data is never deleted as a side effect');
    assert.equal(runtime.observe(at).workload, undefined);
    assert.deepEqual(await reconcile(at, undefined), []);

    // The garbage collector removes the pods; the service then leaves the observed keys.
    server.rollOut('statefulsets', 'wharf-delete', 'app0-service0');
    // (assert.equal, not assert.ok: a failing assert.ok without message parses the test source, slowly, on every retry)
    await eventually(() => assert.equal(runtime.observedKeys().some((candidate) => keyString(candidate) === keyString(at)), false));
  });

  test('ConfigMaps: applied with the workload that reads them, again when they change; deleted on request', async () => {
    const at = key('configs');
    const desired = create(at, {
      containers: [{ image: 'nginx:1.27', configs: [{ configMapName: 'cm', mountPath: '/etc/cm' }], envs: [{ type: 'configMap', name: 'K', value: 'cm.key1' }] }],
    });
    await reconcile(at, desired);
    assert.equal(server.get('configmaps', 'wharf-configs', 'cm'), undefined, 'not in the store: the pods wait for it');

    const hashes: string[] = [];
    for (const [digest, value] of [['d1', 'v1'], ['d2', 'v2']] as const) {
      configMaps.set('configs/cm', { data: { key1: value }, digest });
      assert.equal((await reconcile(at, desired)).length, 1, 'the workload is applied again');
      const configMap = server.get('configmaps', 'wharf-configs', 'cm') as (KubeObject & { data?: Record<string, string> }) | undefined;
      assert.deepEqual(configMap?.data, { key1: value });
      assert.equal(configMap?.metadata.labels?.['app.kubernetes.io/managed-by'], 'wharf');
      hashes.push(server.get('deployments', 'wharf-configs', 'app0-service0')!.spec.template.metadata.annotations['wharf.io/template-hash']);
    }
    assert.notEqual(hashes[0], hashes[1], 'a new pod template: Kubernetes rolls the pods onto the new values');
    assert.equal(server.get('deployments', 'wharf-configs', 'app0-service0')!.metadata.annotations?.['wharf.io/revision'], '1', 'no new revision');

    await runtime.deleteConfigMap('configs', 'cm');
    assert.equal(server.get('configmaps', 'wharf-configs', 'cm'), undefined);
    await runtime.deleteConfigMap('configs', 'cm'); // already gone: no error
  });

  test('deleteVolume deletes the volume claim', async () => {
    server.put('persistentvolumeclaims', { metadata: { name: 'old', namespace: 'wharf-claims' }, spec: { resources: { requests: { storage: '1Gi' } } } });
    await runtime.deleteVolume('claims', 'old');
    assert.equal(server.get('persistentvolumeclaims', 'wharf-claims', 'old'), undefined);
  });

  test('a service re-created under the same name replaces the workload of the old one', async () => {
    const at = key('recreate');
    await reconcile(at, create(at));
    const again = create(at, { type: 'stateful', instanceNumber: 1 });
    assert.deepEqual(await reconcile(at, again), [
      'delete the workload: left by an earlier service of the same name',
      'apply revision 1 with 1 replica(s): the service has no workload',
    ]);
    assert.equal(server.get('deployments', 'wharf-recreate', 'app0-service0'), undefined);
    assert.equal(server.get('statefulsets', 'wharf-recreate', 'app0-service0')?.metadata.labels?.['wharf.io/service-uid'], again.uid);
  });

  test('the project quota: its ResourceQuota is applied with a workload, again when it changed, deleted when it has no limit', async () => {
    const web = key('quota', 'shop', 'web');
    const hard = () => server.get('resourcequotas', 'wharf-quota', 'wharf-quota')?.spec.hard;
    quotas.set('quota', { services: 4, pods: 6, cpu: 8, memory: 8192 });
    const first = create(web, { resourceSpec: '1U1G', containers: [{ image: 'nginx:1.27' }, { image: 'envoy:1' }] });
    await reconcile(web, first);
    // Room for the Deployment's surge pod: two containers of 1 core and 1024 MB.
    assert.deepEqual(hard(), { pods: '7', 'requests.cpu': '10', 'limits.cpu': '10', 'requests.memory': '10240Mi', 'limits.memory': '10240Mi' });
    const quota = server.get('resourcequotas', 'wharf-quota', 'wharf-quota')!;
    assert.equal(quota.metadata.labels?.['app.kubernetes.io/managed-by'], 'wharf');
    const apply = server.requests.find((request) => request.resource === 'resourcequotas' && request.verb === 'patch');
    assert.equal(apply?.contentType, 'application/apply-patch+yaml', 'server-side apply');

    // A StatefulSet replaces its pods one by one and needs no room; the Deployment still does.
    quotas.set('quota', { pods: 3 });
    const db = key('quota', 'shop', 'db');
    await reconcile(db, create(db, { type: 'stateful', instanceNumber: 1 }));
    assert.deepEqual(hard(), { pods: '4' }, 'the changed quota is applied, the limits it no longer has removed');

    const containers = [{ image: 'nginx:1.27' }, { image: 'envoy:1' }, { image: 'exporter:1' }];
    const upgraded = upgradeService(first, { containers }, POLICY, new Date().toISOString()).state;
    quotas.set('quota', { cpu: 16 });
    await reconcile(web, upgraded);
    assert.deepEqual(hard(), { 'requests.cpu': '19', 'limits.cpu': '19' }, 'the upgraded pod, of 3 containers, is what the Deployment surges with');

    quotas.set('quota', { services: 4 });
    await reconcile(web, scaleService(upgraded, 1, POLICY, 'later').state);
    assert.ok(server.get('resourcequotas', 'wharf-quota', 'wharf-quota'), 'a scale applies no workload, so not the quota either');
    await reconcile(web, upgradeService(upgraded, { containers: [{ image: 'nginx:1.28' }] }, POLICY, 'later').state);
    assert.equal(server.get('resourcequotas', 'wharf-quota', 'wharf-quota'), undefined, 'no limit Kubernetes counts: deleted');
  });

  test('API errors reject execute (the controller retries); 409 and 500 then succeed', async () => {
    const at = key('retry');
    const desired = create(at);
    server.failNext({ verb: 'patch', resource: 'deployments' }, 409);
    await assert.rejects(reconcile(at, desired), (error: any) => error.code === 409);
    server.failNext({ verb: 'patch', resource: 'deployments' }, 500);
    await assert.rejects(reconcile(at, desired), (error: any) => error.code === 500);
    assert.equal(runtime.observe(at).workload, undefined, 'a failed apply leaves nothing in the cache');
    assert.deepEqual(await reconcile(at, desired), ['apply revision 1 with 2 replica(s): the service has no workload']);
    assert.ok(server.get('deployments', 'wharf-retry', 'app0-service0'), 'the retry applied the Deployment');
  });
});

describe('observing', () => {
  test('pod and container states in the seed vocabulary, Kubernetes reasons kept', async () => {
    const at = key('pods');
    const desired = create(at, { containers: [{ name: 'web', image: 'nginx:nope' }, { name: 'sidecar', image: 'busybox' }] });
    await reconcile(at, desired);
    const labels = server.get('deployments', 'wharf-pods', 'app0-service0')!.spec.template.metadata;
    const pod = (name: string, spec: object, status: object, extra: object = {}) =>
      server.put('pods', { metadata: { name, namespace: 'wharf-pods', ...labels, ...extra }, spec, status });
    const containers = { containers: [{ name: 'web' }, { name: 'sidecar' }] };

    pod('a-backoff', containers, {
      phase: 'Pending',
      conditions: [{ type: 'Ready', status: 'False' }],
      containerStatuses: [
        { name: 'web', state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "nginx:nope"' } } },
        { name: 'sidecar', state: { running: { startedAt: '2026-01-01T00:00:00Z' } }, ready: true, restartCount: 1 },
      ],
    });
    pod('b-running', containers, {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:01:00Z' }],
      containerStatuses: [
        { name: 'web', state: { running: { startedAt: '2026-01-01T00:00:30Z' } }, ready: true, restartCount: 0 },
        {
          name: 'sidecar',
          state: { running: { startedAt: '2026-01-01T00:00:50Z' } },
          lastState: { terminated: { exitCode: 137, reason: 'Error', startedAt: '2026-01-01T00:00:20Z', finishedAt: '2026-01-01T00:00:49Z' } },
          ready: true,
          restartCount: 3,
        },
      ],
    });
    pod('c-crashed', containers, {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'False' }],
      containerStatuses: [
        // The kubelet's rarer words for an end are reported as Error (or Completed for exit code 0).
        { name: 'web', state: { terminated: { reason: 'Error', exitCode: 2 } }, lastState: { terminated: { exitCode: 128, reason: 'ContainerCannotRun', finishedAt: '2026-01-01T00:01:30Z' } } },
        {
          name: 'sidecar',
          state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container' } },
          lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: '2026-01-01T00:02:00Z' } },
          restartCount: 4,
        },
      ],
    });
    pod('d-unschedulable', containers, {
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient cpu.' }],
    });
    pod('e-terminating', containers, {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [{ name: 'web', state: { running: {} } }, { name: 'sidecar', state: { running: {} } }],
    }, { deletionTimestamp: '2026-01-01T00:00:00Z' });
    // Not Wharf's: another namespace prefix.
    server.put('pods', { metadata: { name: 'stray', namespace: 'other-pods', labels: labels.labels }, spec: containers, status: { phase: 'Running' } });

    await eventually(() => assert.equal(runtime.observe(at).pods.length, 5));
    const byName = Object.fromEntries(runtime.observe(at).pods.map((observed) => [observed.name, observed]));
    assert.deepEqual(byName['a-backoff']!.status, { phase: 'pending', reason: '', message: '' });
    assert.deepEqual(byName['a-backoff']!.containerStatuses, [
      { name: 'web', state: 'waiting', reason: 'ImagePullBackOff', message: 'Back-off pulling image "nginx:nope"', ready: false, restartCount: 0 },
      { name: 'sidecar', state: 'running', reason: '', message: '', ready: true, restartCount: 1, startedAt: '2026-01-01T00:00:00.000Z' },
    ]);
    assert.equal(byName['a-backoff']!.ready, false);
    assert.equal(byName['a-backoff']!.readySince, undefined);
    assert.equal(byName['b-running']!.ready, true);
    // Available minReadySeconds after the Ready condition turned true, as Kubernetes counts it.
    assert.equal(byName['b-running']!.readySince, '2026-01-01T00:01:00.000Z');
    assert.deepEqual(byName['b-running']!.containerStatuses.map((status) => [status.ready, status.restartCount]), [[true, 0], [true, 3]]);
    assert.deepEqual(byName['b-running']!.containerStatuses.map((status) => [status.startedAt, status.lastState]), [
      ['2026-01-01T00:00:30.000Z', undefined],
      // A liveness probe's kill, as the kubelet reports it.
      ['2026-01-01T00:00:50.000Z', { exitCode: 137, reason: 'Error', finishedAt: '2026-01-01T00:00:49.000Z' }],
    ]);
    assert.equal(byName['b-running']!.status.phase, 'running');
    assert.equal(byName['b-running']!.podTemplateHash, desired.templateHash);
    assert.equal(byName['b-running']!.serviceUid, desired.uid);
    assert.equal(byName['b-running']!.revision, 1);
    assert.deepEqual(byName['c-crashed']!.containerStatuses, [
      { name: 'web', state: 'terminated', reason: 'Error', message: 'exit code 2', ready: false, restartCount: 0, lastState: { exitCode: 128, reason: 'Error', finishedAt: '2026-01-01T00:01:30.000Z' } },
      {
        name: 'sidecar',
        state: 'waiting',
        reason: 'CrashLoopBackOff',
        message: 'back-off 5m0s restarting failed container',
        ready: false,
        restartCount: 4,
        lastState: { exitCode: 137, reason: 'OOMKilled', finishedAt: '2026-01-01T00:02:00.000Z' },
      },
    ]);
    assert.deepEqual(byName['d-unschedulable']!.status, { phase: 'pending', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient cpu.' });
    assert.deepEqual(byName['d-unschedulable']!.containerStatuses.map((status) => status.state), ['waiting', 'waiting']);
    assert.deepEqual(byName['e-terminating']!.status, { phase: 'terminating', reason: 'Terminating', message: '' }, 'a pod being deleted is terminating, never failed');
    assert.equal(byName['e-terminating']!.ready, false, 'a terminating pod serves no traffic');
    assert.ok(changed.includes(keyString(at)), 'watch events call onChange');
  });

  test("a Deployment's ProgressDeadlineExceeded condition is its verdict, only for the generation the controller saw", async () => {
    const at = key('deadline');
    const first = create(at);
    await reconcile(at, first);
    const deployment = () => server.get('deployments', 'wharf-deadline', 'app0-service0')!;
    const withStatus = (status: object) => server.put('deployments', { ...deployment(), status });
    const message = 'ReplicaSet "app0-service0-5d8f9c" has timed out progressing.';
    const timedOut = (observedGeneration: number) => ({
      observedGeneration,
      conditions: [
        { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
        { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message },
      ],
    });

    withStatus({ observedGeneration: 1, conditions: [{ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }] });
    await eventually(() => assert.equal(runtime.observe(at).workload?.replicas, 2));
    assert.equal(runtime.observe(at).workload?.progressDeadlineExceeded, undefined, 'progressing: no verdict');

    withStatus(timedOut(1));
    await eventually(() => assert.equal(runtime.observe(at).workload?.progressDeadlineExceeded, message));

    // The next template is applied: generation 2, while the status still speaks of generation 1.
    const { state: second } = upgradeService(first, { containers: [{ image: 'nginx:1.28' }] }, POLICY, new Date().toISOString());
    await reconcile(at, second);
    assert.equal(deployment().metadata.generation, 2);
    assert.equal(deployment().status.observedGeneration, 1, 'the apply kept the old status');
    assert.equal(runtime.observe(at).workload?.progressDeadlineExceeded, undefined, 'a verdict on generation 1 says nothing of generation 2');
    withStatus(timedOut(2));
    await eventually(() => assert.equal(runtime.observe(at).workload?.progressDeadlineExceeded, message));
  });

  test('a root image refused under runAsNonRoot is reported with the kubelet\'s reason, not as a missing ConfigMap', async () => {
    const at = key('nonroot');
    await reconcile(at, create(at, { instanceNumber: 1 }));
    const template = server.get('deployments', 'wharf-nonroot', 'app0-service0')!.spec.template;
    const message = 'container has runAsNonRoot and image will run as root (pod: "app0-service0-x_wharf-nonroot", container: container-0)';
    server.put('pods', {
      metadata: { name: 'app0-service0-x', namespace: 'wharf-nonroot', ...template.metadata },
      spec: template.spec,
      status: { phase: 'Pending', containerStatuses: [{ name: 'container-0', state: { waiting: { reason: 'CreateContainerConfigError', message } } }] },
    });
    await eventually(() => assert.equal(runtime.observe(at).pods.length, 1));
    assert.deepEqual(runtime.observe(at).pods[0]!.containerStatuses, [{ name: 'container-0', state: 'waiting', reason: 'CreateContainerConfigError', message, ready: false, restartCount: 0 }]);
  });

  test('a dropped watch is resumed from the last resourceVersion, without a relist', async () => {
    const at = key('drop');
    await reconcile(at, create(at));
    const before = lists('pods');
    const restartsBefore = watchRestarts;
    server.endWatches();
    server.rollOut('deployments', 'wharf-drop', 'app0-service0');
    await eventually(() => assert.equal(runtime.observe(at).pods.length, 2));
    assert.equal(lists('pods'), before);
    assert.equal(watchRestarts, restartsBefore, 'a resumed watch is no restart');
    assert.equal(runtime.observe(at).known, true);
  });

  test('410 Gone on a resumed watch (in the stream or as the HTTP status) relists, and the list catches what was missed', async () => {
    const at = key('gone');
    await reconcile(at, create(at));
    server.rollOut('deployments', 'wharf-gone', 'app0-service0');
    await eventually(() => assert.equal(runtime.observe(at).pods.length, 2));

    const before = lists('pods');
    const restartsBefore = watchRestarts;
    server.compact();
    server.endWatches();
    await eventually(() => assert.equal(lists('pods'), before + 1));
    assert.ok(watchRestarts > restartsBefore, 'a relist is counted as a watch restart');

    server.failNext({ verb: 'watch', resource: 'pods' }, 410);
    server.endWatches();
    await eventually(() => assert.equal(lists('pods'), before + 2));
    // Still watching after the relists.
    server.put('deployments', { ...server.get('deployments', 'wharf-gone', 'app0-service0')!, spec: { ...server.get('deployments', 'wharf-gone', 'app0-service0')!.spec, replicas: 1 } });
    server.rollOut('deployments', 'wharf-gone', 'app0-service0');
    await eventually(() => assert.equal(runtime.observe(at).pods.length, 1));
    assert.equal(runtime.observe(at).known, true);
  });

  test('API server unreachable: known false, execute fails as unavailable; back: relisted, deletions seen', async () => {
    const at = key('outage');
    await reconcile(at, create(at));
    server.rollOut('deployments', 'wharf-outage', 'app0-service0');
    await eventually(() => assert.equal(runtime.observe(at).pods.length, 2));

    changed.length = 0;
    await server.stop();
    await eventually(() => assert.equal(runtime.observe(at).known, false));
    assert.ok(changed.includes(keyString(at)), 'every service is told its view changed');
    await assert.rejects(reconcile(at, setStopped(create(at), true, 'later').state), RuntimeUnavailableError);

    // Meanwhile the pods went away (events the watch never delivers).
    server.rollOut('deployments', 'wharf-outage', 'app0-service0');
    server.remove('deployments', 'wharf-outage', 'app0-service0');
    server.rollOut('deployments', 'wharf-outage', 'app0-service0');
    await server.restart();
    await eventually(() => assert.equal(runtime.observe(at).known, true), 5000);
    assert.deepEqual(runtime.observe(at).pods, []);
    assert.equal(runtime.observe(at).workload, undefined);
  });
});

test('exec goes through the pods/exec subresource (test/runtime/kubernetes/exec.test.ts tests it in full)', async () => {
  server.put('namespaces', { metadata: { name: 'wharf-shell' } });
  server.put('pods', { metadata: { name: 'app0-service0-0', namespace: 'wharf-shell' }, spec: { containers: [{ name: 'main' }] } });
  const session = await runtime.exec({ key: key('shell'), pod: 'app0-service0-0' }, { container: 'main', command: ['echo', 'hi'], stdin: false, stdout: true, stderr: true, tty: false });
  session.stdout!.resume();
  assert.deepEqual(await session.ending, { exitCode: 0 });
});

describe('reading what runs: pods/log and the metrics API', () => {
  const at = key('reading');
  const namespace = 'wharf-reading';
  const pod = 'app0-service0-abc12-x7k2p';
  const ref = { key: at, pod };
  const options = { container: 'main', timestamps: false, previous: false, follow: false };
  const text = async (stream: Readable): Promise<string> => {
    let all = '';
    for await (const chunk of stream) all += String(chunk);
    return all;
  };

  before(() => {
    server.put('pods', { metadata: { name: pod, namespace }, spec: { containers: [{ name: 'main' }, { name: 'side' }] }, status: { phase: 'Running' } });
    const earlier = new Date(Date.now() - 60_000);
    server.podLogs.write(namespace, pod, 'main', 'starting', earlier);
    server.podLogs.write(namespace, pod, 'main', 'listening on :80');
  });

  test('a container\'s log, with Kubernetes\' own parameters passed through', async () => {
    assert.equal(await text(await runtime.logs(ref, options)), 'starting\nlistening on :80\n');
    assert.equal(await text(await runtime.logs(ref, { ...options, tailLines: 1 })), 'listening on :80\n');
    assert.equal(await text(await runtime.logs(ref, { ...options, sinceSeconds: 30 })), 'listening on :80\n');
    assert.match(await text(await runtime.logs(ref, { ...options, timestamps: true })), /^\d{4}-\d{2}-\d{2}T[0-9:.]+Z starting\n/);
    const asked = server.requests.filter((request) => request.resource === 'pods/log').at(-1)!;
    assert.equal(asked.verb, 'get');
    assert.equal(asked.namespace, namespace);
    assert.equal(asked.query.get('container'), 'main');
    assert.equal(asked.query.get('timestamps'), 'true');
  });

  test('follow: lines written after the request come as they are written; the reader going ends the request', async () => {
    const stream = await runtime.logs(ref, { ...options, follow: true, tailLines: 0 });
    const lines: string[] = [];
    stream.on('data', (chunk) => lines.push(String(chunk)));
    await eventually(() => assert.equal(server.podLogs.followers(), 1));
    server.podLogs.write(namespace, pod, 'main', 'GET / 200');
    await eventually(() => assert.deepEqual(lines, ['GET / 200\n']));
    stream.destroy();
    await eventually(() => assert.equal(server.podLogs.followers(), 0, 'the API server\'s follow is closed'));
  });

  test('follow ends when the container ends', async () => {
    const stream = await runtime.logs(ref, { ...options, follow: true, tailLines: 0 });
    const ended = text(stream);
    await eventually(() => assert.equal(server.podLogs.followers(), 1));
    server.podLogs.write(namespace, pod, 'main', 'shutting down');
    server.podLogs.end(namespace, pod, 'main');
    assert.equal(await ended, 'shutting down\n');
  });

  test('previous: 400 InvalidArgs in the API server\'s words until the container restarted, then its last instance', async () => {
    await assert.rejects(runtime.logs(ref, { ...options, container: 'side', previous: true }), (error: any) => {
      assert.equal(error.code, 'InvalidArgs');
      assert.equal(error.key, 'previous');
      assert.match(error.message, /previous terminated container "side" in pod "app0-service0-abc12-x7k2p" not found/);
      return true;
    });
    server.podLogs.write(namespace, pod, 'side', 'panic: no config');
    server.podLogs.restart(namespace, pod, 'side');
    server.podLogs.write(namespace, pod, 'side', 'ok');
    assert.equal(await text(await runtime.logs(ref, { ...options, container: 'side', previous: true })), 'panic: no config\n');
    assert.equal(await text(await runtime.logs(ref, { ...options, container: 'side' })), 'ok\n');
  });

  test('a pod the API server does not have is 404 NotFound', async () => {
    await assert.rejects(runtime.logs({ key: at, pod: 'app0-service0-gone-00000' }, options), (error: any) => error.code === 'NotFound' && /not found/.test(error.message));
  });

  test('stats: the PodMetrics sample, quantities in cores and bytes; no network (the API has none)', async () => {
    server.podLogs.setMetrics(namespace, pod, [
      { name: 'main', cpu: '12345678n', memory: '40Mi' },
      { name: 'side', cpu: '250m', memory: '1024Ki' },
    ]);
    const stats = await runtime.stats(ref);
    assert.equal(stats.pod, pod);
    assert.equal(stats.windowSeconds, 10.5);
    assert.ok(Math.abs(Date.parse(stats.time) - Date.now()) < 60_000, stats.time);
    assert.deepEqual(stats.containers, [
      { name: 'main', cpu: { usageCores: 0.012345678 }, memory: { usageBytes: 40 * 1024 * 1024 } },
      { name: 'side', cpu: { usageCores: 0.25 }, memory: { usageBytes: 1024 * 1024 } },
    ]);
    assert.equal(stats.network, undefined);
    assert.equal(stats.simulated, undefined);
    assert.equal(server.requests.at(-1)!.apiGroup, 'metrics.k8s.io');
  });

  test('stats of a pod metrics-server has not sampled yet: 404 NotFound saying so', async () => {
    await assert.rejects(runtime.stats({ key: at, pod: 'app0-service0-abc12-new00' }), (error: any) => error.code === 'NotFound' && /no sample of pod/.test(error.message));
  });

  test('stats on a cluster without the metrics API: 501 NotImplemented naming metrics-server', async () => {
    server.podLogs.metricsServed = false;
    try {
      await assert.rejects(runtime.stats(ref), (error: any) => {
        assert.equal(error.code, 'NotImplemented');
        assert.equal(error.statusCode, 501);
        assert.match(error.message, /metrics-server/);
        return true;
      });
    } finally {
      server.podLogs.metricsServed = true;
    }
  });

  test('Kubernetes quantities and durations as numbers', () => {
    assert.equal(quantity('250m'), 0.25);
    assert.equal(quantity('2'), 2);
    assert.equal(quantity('1500u'), 0.0015);
    assert.equal(quantity('64Mi'), 64 * 2 ** 20);
    assert.equal(quantity('1G'), 1e9);
    assert.equal(quantity('1e3'), 1000);
    assert.throws(() => quantity('ten'), /not a Kubernetes quantity/);
    assert.equal(durationSeconds('10.5s'), 10.5);
    assert.equal(durationSeconds('1m0s'), 60);
    assert.equal(durationSeconds('250ms'), 0.25);
    assert.equal(durationSeconds('soon'), undefined);
  });
});

test('the driver called nothing outside API_CALLS, and every declared call was made', () => {
  const declared = new Set(API_CALLS.flatMap((call) => call.verbs.map((verb) => `${call.apiGroup}|${call.resource}|${verb}`)));
  const made = server.authorizedCalls();
  assert.deepEqual([...made].filter((call) => !declared.has(call)), [], 'undeclared calls');
  assert.deepEqual([...declared].filter((call) => !made.has(call)), [], 'declared but never made');
});
