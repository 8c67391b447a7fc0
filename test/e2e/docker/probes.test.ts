// Issue 11 on a real engine: Wharf runs probes as the kubelet does (HTTP and TCP from this process
// to the pod's address, exec through the Engine's exec API), counts restarts, remembers how a
// container last ended, and shows pods it removes as `terminating`. Each scenario is its own
// service; they run side by side so the file stays short.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { apiPaths } from '../../support/api.js';
import { docker, dockerExec, dockerSuiteSkip, eventually, IMAGES, useDockerWharf } from '../../support/docker.js';

const REGION = 'dkr-probes';
const PROJECT = 'probes';
const APP = 'shop';
const paths = apiPaths(REGION, PROJECT);
const skip = await dockerSuiteSkip();

// busybox httpd serving the image's root directory: GET /VERSION answers 200, GET /ready 404 until the file is made.
const httpd = (port = 80) => ({ name: 'web', image: IMAGES.app1, command: ['httpd'], args: ['-f', '-p', String(port), '-h', '/'] });
const fast = { periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 1 };
const containerName = (pod: string, container = 'web') => `wharf_${REGION}_${PROJECT}_${pod}_${container}`;

describe('Docker runtime: probes, restart counts, terminating pods (issue 11)', { skip, concurrency: true }, () => {
  const wharf = useDockerWharf(REGION, PROJECT);
  before(async () => {
    const created = await wharf().request('POST', paths.apps, { name: APP, microservices: [] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });

  const get = async (name: string) => (await wharf().request('GET', paths.service(APP, name))).body;

  async function create(name: string, containers: unknown[], extra: Record<string, unknown> = {}): Promise<void> {
    const created = await wharf().request('POST', paths.services(APP), {
      name,
      type: 'stateless',
      resourceSpec: '1U1G',
      instanceNumber: 1,
      minReadySeconds: 0,
      containers,
      ...extra,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  }

  /** Polls the service's single pod until `check` returns something. */
  function onePod<T>(name: string, what: string, check: (pod: any) => T | undefined, timeoutMs = 30_000): Promise<T> {
    return eventually(`${name}: ${what}`, async () => {
      const pods = (await get(name)).pods as any[];
      return pods.length === 1 ? check(pods[0]) : undefined;
    }, timeoutMs);
  }

  it('an httpGet readiness probe that fails keeps the pod running but not ready, with the reason; it becomes ready once the probe passes', async () => {
    await create('http', [{ ...httpd(), readinessProbe: { httpGet: { path: '/ready', port: 80, httpHeaders: [{ name: 'X-Probe', value: 'wharf' }] }, ...fast } }]);
    // Until httpd listens the probe is refused: wait for httpd's own answer.
    const failing = await onePod('http', 'a readiness probe answered 404', (pod) => (pod.containerStatuses[0].message === 'readiness probe failed: HTTP 404' ? pod : undefined));
    assert.equal(failing.status.phase, 'running');
    assert.equal(failing.ready, false);
    assert.equal(failing.status.reason, 'ContainersNotReady');
    assert.equal(failing.containerStatuses[0].ready, false);
    assert.equal(failing.containerStatuses[0].message, 'readiness probe failed: HTTP 404');
    assert.match(failing.status.message, /container web is not ready: readiness probe failed: HTTP 404/);
    const service = await get('http');
    assert.equal(service.status.available, 0, 'an unready pod is not available');
    assert.notEqual(service.status.phase, 'running', 'no pod available: the service is not running');

    dockerExec(containerName(failing.name), ['sh', '-c', 'echo ok > /ready']);
    const ready = await onePod('http', 'the pod ready', (pod) => (pod.ready ? pod : undefined));
    assert.equal(ready.containerStatuses[0].ready, true);
    assert.equal(ready.containerStatuses[0].reason, '');
    assert.equal(ready.status.reason, '');
    await wharf().waitForService(paths.service(APP, 'http'), (s) => s.status.available === 1 && s.status.phase === 'running', 10_000);
  });

  it('a tcpSocket probe: ready while the port accepts connections, not on a port nothing listens on', async () => {
    await create('tcp', [
      { ...httpd(8080), readinessProbe: { tcpSocket: { port: 8080 }, ...fast } },
      { name: 'closed', image: IMAGES.app1, command: ['sleep'], args: ['infinity'], readinessProbe: { tcpSocket: { port: 9999 }, ...fast } },
    ]);
    const pod = await onePod('tcp', 'the closed port to fail its probe', (one) => (one.containerStatuses[1].reason === 'Unhealthy' && one.containerStatuses[0].ready ? one : undefined));
    assert.deepEqual(pod.containerStatuses.map((status: any) => status.ready), [true, false]);
    assert.match(pod.containerStatuses[1].message, /^readiness probe failed: connect ECONNREFUSED [\d.]+:9999$/);
    assert.equal(pod.ready, false, 'one container not ready: the pod is not');
  });

  it('an exec probe runs in the container without a shell: exit 0 is healthy', async () => {
    // An exec goes through dockerd (create, start, inspect): on an engine busy starting the other scenarios' pods it can take over a second.
    await create('exec', [{ name: 'web', image: IMAGES.app1, command: ['sleep'], args: ['infinity'], readinessProbe: { exec: { command: ['test', '-f', '/tmp/ok'] }, ...fast, timeoutSeconds: 5 } }]);
    const failing = await onePod('exec', 'a failed exec probe', (pod) => (pod.containerStatuses[0].reason === 'Unhealthy' ? pod : undefined));
    assert.equal(failing.containerStatuses[0].message, 'readiness probe failed: exit code 1');
    assert.equal(failing.ready, false);
    dockerExec(containerName(failing.name), ['sh', '-c', 'echo > /tmp/ok']);
    await onePod('exec', 'the pod ready', (pod) => (pod.ready ? pod : undefined));
  });

  it('a failing liveness probe restarts the container (stop with grace, start): restartCount, lastState and a new startedAt show it; the pod never shows failed', async () => {
    await create('live', [{ ...httpd(), livenessProbe: { httpGet: { path: '/alive', port: 80 }, periodSeconds: 1, failureThreshold: 2 } }]);
    const first = await onePod('live', 'the container running', (pod) => (pod.containerStatuses[0].state === 'running' ? pod : undefined));
    const firstStart = first.containerStatuses[0].startedAt;
    const phases = new Set<string>();
    const restarted = await onePod('live', 'a restart by the liveness probe', (pod) => {
      phases.add(pod.status.phase);
      const status = pod.containerStatuses[0];
      return status.restartCount >= 1 && status.state === 'running' && status.lastState ? pod : undefined;
    });
    const status = restarted.containerStatuses[0];
    assert.equal(restarted.name, first.name, 'the same pod: the container restarts in place');
    assert.notEqual(status.startedAt, firstStart, 'it started again');
    // httpd ends on the SIGTERM of the stop; Docker's init reports 128 + 15.
    assert.deepEqual({ exitCode: status.lastState.exitCode, reason: status.lastState.reason }, { exitCode: 143, reason: 'Error' });
    assert.ok(Date.parse(status.lastState.finishedAt) <= Date.parse(status.startedAt), `finishedAt ${status.lastState.finishedAt} before startedAt ${status.startedAt}`);
    assert.ok(!phases.has('failed'), `the pod went through ${[...phases].join(', ')}`);

    // The probe still fails: Wharf keeps restarting it, and the count keeps growing.
    await onePod('live', 'a second restart', (pod) => (pod.containerStatuses[0].restartCount >= 2 ? pod : undefined));
    const inspected = await docker.getContainer(containerName(first.name)).inspect();
    assert.equal(inspected.RestartCount, 0, 'Docker counts no stop and start (and resets its count on a start): Wharf counts them');
  });

  it('a crash-looping container shows restartCount growing and how it last ended', async () => {
    await create('crash', [{ name: 'web', image: IMAGES.app1, command: ['sh'], args: ['-c', 'sleep 1; exit 3'] }]);
    const looping = await onePod('crash', 'two restarts', (pod) => (pod.containerStatuses[0].restartCount >= 2 && pod.containerStatuses[0].lastState ? pod : undefined));
    const status = looping.containerStatuses[0];
    assert.deepEqual({ exitCode: status.lastState.exitCode, reason: status.lastState.reason }, { exitCode: 3, reason: 'Error' });
    assert.ok(!Number.isNaN(Date.parse(status.lastState.finishedAt)), `finishedAt ${status.lastState.finishedAt}`);
    const later = await onePod('crash', 'more restarts', (pod) => (pod.containerStatuses[0].restartCount > status.restartCount ? pod : undefined));
    assert.equal(later.name, looping.name);
  });

  it('a pod being removed shows terminating, never failed, until it is gone', async () => {
    // Ignores SIGTERM (Docker's init forwards it to the shell): the stop takes the whole grace period.
    await create('stubborn', [{ name: 'web', image: IMAGES.app1, command: ['sh'], args: ['-c', "trap '' TERM; while true; do sleep 1; done"] }]);
    const running = await onePod('stubborn', 'the pod running', (pod) => (pod.status.phase === 'running' && pod.ready ? pod : undefined));
    assert.equal((await wharf().request('PUT', paths.action(APP, 'stubborn', 'stop'))).status, 204);
    const seen: string[] = [];
    await eventually('the pod gone', async () => {
      const pods = (await get('stubborn')).pods as any[];
      const pod = pods.find((one) => one.name === running.name);
      if (pod) seen.push(`${pod.status.phase}/${pod.status.reason}/${pod.containerStatuses[0].state}`);
      return pod ? undefined : true;
    }, 30_000);
    const distinct = [...new Set(seen)].join(', ');
    const from = seen.findIndex((one) => one.startsWith('terminating/Terminating/'));
    assert.ok(from >= 0, `terminating was seen: ${distinct}`);
    assert.ok(seen.slice(0, from).every((one) => one.startsWith('running/')), `running until terminating: ${distinct}`);
    assert.ok(seen.slice(from).every((one) => one.startsWith('terminating/Terminating/')), `terminating until gone, never failed: ${distinct}`);
    assert.ok(seen.length - from >= 5, `the removal took the grace period (${seen.length - from} samples terminating)`);
  });
});

