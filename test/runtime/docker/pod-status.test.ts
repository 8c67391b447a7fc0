import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import type Docker from 'dockerode';
import { normalizeProbe } from '../../../src/domain/probes.js';
import { LABEL, probesOfLabels, type ContainerProbeSpecs } from '../../../src/runtime/docker/labels.js';
import { factsOf, podView, terminatingView, upSince, type ContainerFacts } from '../../../src/runtime/docker/pod-status.js';

function sandbox(ports: Docker.Port[]): Docker.ContainerInfo {
  return { Id: 'id', Labels: {}, State: 'running', Status: 'Up 1 second', Created: 0, Ports: ports } as unknown as Docker.ContainerInfo;
}

describe('host ports of a Docker pod', () => {
  it('reports the IPv4 binding when Docker gave IPv4 and IPv6 different host ports, in either order', () => {
    const v4 = { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 32836, Type: 'tcp' };
    const v6 = { IP: '::', PrivatePort: 80, PublicPort: 32829, Type: 'tcp' };
    for (const ports of [[v4, v6], [v6, v4]]) {
      assert.deepEqual(factsOf(sandbox(ports)).hostPorts, [{ port: 80, protocol: 'TCP', hostPort: 32836 }], JSON.stringify(ports));
    }
  });

  it('reports a loopback binding, UDP apart from TCP, and no unpublished port', () => {
    const ports = [
      { IP: '127.0.0.1', PrivatePort: 8080, PublicPort: 40001, Type: 'udp' },
      { IP: '127.0.0.1', PrivatePort: 8080, PublicPort: 40000, Type: 'tcp' },
      { PrivatePort: 9000, Type: 'tcp' },
    ] as Docker.Port[];
    assert.deepEqual(factsOf(sandbox(ports)).hostPorts, [
      { port: 8080, protocol: 'TCP', hostPort: 40000 },
      { port: 8080, protocol: 'UDP', hostPort: 40001 },
    ]);
  });
});

describe('readiness of a Docker pod', () => {
  const NOW = Date.parse('2026-01-01T12:00:00.000Z');
  const container = (name: string, role: string, state: string, status: string): Docker.ContainerInfo =>
    ({
      Id: name,
      Labels: { [LABEL.role]: role, [LABEL.container]: name, [LABEL.containers]: 'main,side' },
      State: state,
      Status: status,
      Created: NOW / 1000 - 3600,
      Ports: [],
    }) as unknown as Docker.ContainerInfo;

  it("reads when a container came up from Docker's list", () => {
    assert.equal(upSince('Up Less than a second', NOW), NOW);
    assert.equal(upSince('Up 12 seconds', NOW), NOW - 12_000);
    assert.equal(upSince('Up About a minute', NOW), NOW - 60_000);
    assert.equal(upSince('Up 3 hours (healthy)', NOW), NOW - 3 * 3_600_000);
    assert.equal(upSince('Restarting (1) 2 seconds ago', NOW), undefined);
  });

  it('is ready since its last container came up; not while one restarts; restartCount 0 (the list has none)', () => {
    const sandbox = factsOf(container('sandbox', 'sandbox', 'running', 'Up 2 hours'), NOW);
    const up = podView('p', [sandbox, factsOf(container('main', 'container', 'running', 'Up 5 seconds'), NOW), factsOf(container('side', 'container', 'running', 'Up 1 minute'), NOW)]);
    assert.equal(up.ready, true);
    assert.equal(up.readySince, new Date(NOW - 5000).toISOString());
    assert.deepEqual(up.containerStatuses.map((status) => [status.name, status.ready, status.restartCount]), [['main', true, 0], ['side', true, 0]]);

    const restarting = podView('p', [sandbox, factsOf(container('main', 'container', 'restarting', 'Restarting (1) 1 second ago'), NOW), factsOf(container('side', 'container', 'running', 'Up 1 minute'), NOW)]);
    assert.equal(restarting.ready, false);
    assert.equal(restarting.readySince, undefined);
    assert.deepEqual(restarting.containerStatuses[0], { name: 'main', state: 'waiting', reason: 'CrashLoopBackOff', message: 'Restarting (1) 1 second ago', ready: false, restartCount: 0 });
  });
});

describe('a Docker pod with what the list lacks: restart counts, exact starts, probes', () => {
  const NOW = Date.parse('2026-01-01T12:00:00.000Z');
  const readiness = normalizeProbe({ httpGet: { port: 80, path: '/ready' }, periodSeconds: 1 });
  const facts = (name: string, role: string, state: string, status: string, probes: ContainerProbeSpecs = {}): ContainerFacts =>
    factsOf(
      {
        Id: name,
        Labels: { [LABEL.role]: role, [LABEL.container]: name, [LABEL.containers]: 'main,side', ...(Object.keys(probes).length > 0 ? { [LABEL.probes]: JSON.stringify(probes) } : {}) },
        State: state,
        Status: status,
        Created: NOW / 1000 - 3600,
        Ports: [],
      } as unknown as Docker.ContainerInfo,
      NOW,
    );
  const sandbox = facts('sandbox', 'sandbox', 'running', 'Up 2 hours');
  const main = facts('main', 'container', 'running', 'Up 30 seconds', { readinessProbe: readiness });
  const side = facts('side', 'container', 'running', 'Up 1 minute');
  const exactStart = NOW - 30_250;
  const lastState = { exitCode: 3, reason: 'Error', finishedAt: new Date(NOW - 31_000).toISOString() };

  test('the probes a container was made with come back from its labels', () => {
    assert.deepEqual(main.probes, { readinessProbe: readiness });
    assert.deepEqual(side.probes, {});
    assert.deepEqual(probesOfLabels({ [LABEL.probes]: '{not json' }), {}, 'a label that does not parse: no probes');
    assert.deepEqual(probesOfLabels({ [LABEL.probes]: JSON.stringify({ readinessProbe: { periodSeconds: 1 } }) }), {}, 'a probe without a handler is left out');
  });

  test('a container whose readiness probe has not passed is running, not ready; the pod is running, not ready, and says why', () => {
    const failing = { restartCount: 2, startedAt: exactStart, lastState, probes: { readiness: { healthy: false, last: false, run: 3, failure: 'HTTP 500' } } };
    const pod = podView('p', [sandbox, main, side], (container) => (container.id === 'main' ? failing : undefined));
    assert.equal(pod.ready, false);
    assert.equal(pod.readySince, undefined);
    assert.deepEqual(pod.status, { phase: 'running', reason: 'ContainersNotReady', message: 'container main is not ready: readiness probe failed: HTTP 500' });
    assert.deepEqual(pod.containerStatuses[0], {
      name: 'main',
      state: 'running',
      reason: 'Unhealthy',
      message: 'readiness probe failed: HTTP 500',
      ready: false,
      restartCount: 2,
      lastState,
      startedAt: new Date(exactStart).toISOString(),
    });
    assert.equal(pod.containerStatuses[1]!.ready, true, 'a container without probes is ready once running');

    const undecided = podView('p', [sandbox, main, side], () => undefined);
    assert.equal(undecided.ready, false, 'no verdict yet: not ready, as on Kubernetes');
    assert.equal(undecided.status.message, 'container main is not ready: its readiness probe has not passed yet');
  });

  test('ready once the probe passes: the pod is ready since the last of its containers became ready', () => {
    const readyAt = NOW - 2000;
    const passing = { restartCount: 0, startedAt: exactStart, probes: { readiness: { healthy: true, last: true, run: 1 } }, readyAt };
    const pod = podView('p', [sandbox, main, side], (container) => (container.id === 'main' ? passing : undefined));
    assert.equal(pod.ready, true);
    assert.equal(pod.readySince, new Date(readyAt).toISOString());
    assert.deepEqual(pod.status, { phase: 'running', reason: '', message: '' });
    assert.equal(pod.containerStatuses[0]!.reason, '');

    const noProbes = podView('p', [sandbox, facts('main', 'container', 'running', 'Up 30 seconds'), side], (container) => (container.id === 'main' ? { restartCount: 0, startedAt: exactStart, probes: {} } : undefined));
    assert.equal(noProbes.readySince, new Date(exactStart).toISOString(), "the exact start, not the list's rounded one");
  });

  test('a container that died after the last start an inspection saw waits, whatever the list says, until an inspection sees it start again', () => {
    const died = { restartCount: 1, startedAt: exactStart, lastState: { exitCode: 1, reason: 'Error', finishedAt: new Date(exactStart + 50).toISOString() }, probes: {} };
    const pod = podView('p', [sandbox, facts('main', 'container', 'running', 'Up 30 seconds'), side], (container) => (container.id === 'main' ? died : undefined));
    assert.deepEqual(pod.containerStatuses[0], { name: 'main', state: 'waiting', reason: 'CrashLoopBackOff', message: 'exited with code 1; the engine restarts it', ready: false, restartCount: 1, lastState: died.lastState });
    assert.equal(pod.ready, false);
    assert.equal(pod.status.phase, 'pending');

    const diedNoStartSeen = { restartCount: 1, lastState: died.lastState, probes: {} };
    const stale = podView('p', [sandbox, facts('main', 'container', 'running', 'Up Less than a second'), side], (container) => (container.id === 'main' ? diedNoStartSeen : undefined));
    assert.equal(stale.containerStatuses[0]!.state, 'waiting', 'no inspection saw it start since it died: the list is not believed');

    const startedAgain = { ...died, startedAt: exactStart + 400 };
    const again = podView('p', [sandbox, facts('main', 'container', 'running', 'Up Less than a second'), side], (container) => (container.id === 'main' ? startedAgain : undefined));
    assert.equal(again.containerStatuses[0]!.state, 'running');
    assert.equal(again.ready, true);
  });

  test('a readiness probe that fails after passing keeps the container ready until its threshold; the message names the failure meanwhile', () => {
    const flaky = { restartCount: 0, startedAt: exactStart, probes: { readiness: { healthy: true, last: false, run: 1, failure: 'timed out after 1 s' } }, readyAt: NOW - 5000 };
    const pod = podView('p', [sandbox, main, side], (container) => (container.id === 'main' ? flaky : undefined));
    assert.equal(pod.ready, true);
    assert.deepEqual([pod.containerStatuses[0]!.reason, pod.containerStatuses[0]!.message], ['Unhealthy', 'readiness probe failed: timed out after 1 s']);
  });

  test('a container Wharf restarts (its liveness probe failed) is waiting, not terminated, while stopped: the pod is pending, never failed', () => {
    const stopped = facts('main', 'container', 'exited', 'Exited (143) 1 second ago');
    const health = { restartCount: 1, probes: {}, lastState: { exitCode: 143, reason: 'Error', finishedAt: new Date(NOW).toISOString() }, restarting: { probe: 'livenessProbe' as const, failure: 'HTTP 500' } };
    const pod = podView('p', [sandbox, stopped, side], (container) => (container.id === 'main' ? health : undefined));
    assert.equal(pod.status.phase, 'pending');
    assert.equal(pod.status.reason, 'Restarting');
    assert.deepEqual(pod.containerStatuses[0], {
      name: 'main',
      state: 'waiting',
      reason: 'Restarting',
      message: 'liveness probe failed: HTTP 500; Wharf restarts the container',
      ready: false,
      restartCount: 1,
      lastState: health.lastState,
    });
  });

  test('terminating: whatever its containers look like, not ready, with why', () => {
    const pod = terminatingView(podView('p', [sandbox, facts('main', 'container', 'exited', 'Exited (0) 1 second ago'), side]), 'the service was stopped');
    assert.deepEqual(pod.status, { phase: 'terminating', reason: 'Terminating', message: 'the service was stopped' });
    assert.equal(pod.ready, false);
    assert.equal(pod.readySince, undefined);
    assert.equal(pod.containerStatuses[0]!.state, 'terminated', 'containers as they are');
  });
});
