import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContainerStatus } from '../../src/model/service-status.js';
import type { ObservedPod } from '../../src/domain/observed.js';
import { podEvents } from '../../src/domain/pod-events.js';

const pod = (containerStatuses: ContainerStatus[], phase: ObservedPod['status']['phase'] = 'running'): ObservedPod => ({
  name: 'p', serviceUid: 'u', revision: 2, podTemplateHash: 'h', status: { phase, reason: '', message: '' }, containerStatuses, ready: false, creationTime: '2026-01-01T00:00:00Z',
});
const waiting = (name: string, reason: string, message = '', extra: Partial<ContainerStatus> = {}): ContainerStatus => ({ name, state: 'waiting', reason, message, ready: false, restartCount: 0, ...extra });
const running = (name: string, extra: Partial<ContainerStatus> = {}): ContainerStatus => ({ name, state: 'running', reason: '', message: '', ready: true, restartCount: 0, startedAt: '2026-01-01T00:00:01Z', ...extra });
const reasons = (before: ObservedPod | undefined, after: ObservedPod, engineRollouts = false): string[] =>
  podEvents(before, after, { engineRollouts }).map((event) => `${event.reason}${event.container ? `/${event.container}` : ''}`);

describe('events read off two snapshots of a pod', () => {
  it('a pod waiting for one image with every container (Docker): one ErrImagePull of the pod; one container\'s own: of that container', () => {
    const failure = 'failed to pull image "x": not found';
    assert.deepEqual(reasons(undefined, pod([waiting('a', 'ErrImagePull', failure), waiting('b', 'ErrImagePull', failure)], 'pending')), ['ErrImagePull']);
    assert.deepEqual(reasons(undefined, pod([waiting('a', 'ErrImagePull', failure), waiting('b', 'ContainerCreating')], 'pending')), ['ErrImagePull/a']);
    // Back-off and a new attempt: a new failure, folded by the store.
    const backingOff = pod([waiting('a', 'ImagePullBackOff', failure)], 'pending');
    assert.deepEqual(reasons(backingOff, pod([waiting('a', 'ErrImagePull', failure)], 'pending')), ['ErrImagePull/a']);
    assert.deepEqual(reasons(pod([waiting('a', 'ErrImagePull', failure)], 'pending'), backingOff), []);
  });

  it('a start made exact by a later look is not a start; a restart no look saw is', () => {
    const first = pod([running('a', { startedAt: '2026-01-01T00:00:01Z' })]);
    assert.deepEqual(reasons(first, pod([running('a', { startedAt: '2026-01-01T00:00:01.234Z' })])), []);
    const lastState = { exitCode: 1, reason: 'Error', finishedAt: '2026-01-01T00:00:05Z' };
    assert.deepEqual(reasons(first, pod([running('a', { startedAt: '2026-01-01T00:00:06Z', restartCount: 1, lastState })])), ['Exited/a', 'Started/a']);
  });

  it('a liveness kill: Killing as Docker shows it (Restarting) and as a probe-killed exit shows it (the simulated runtime)', () => {
    const before = pod([running('a')]);
    assert.deepEqual(reasons(before, pod([waiting('a', 'Restarting', 'liveness probe failed: HTTP 500; Wharf restarts the container')])), ['Killing/a']);
    const killed = waiting('a', 'CrashLoopBackOff', 'liveness probe failed: simulated; back-off restarting the container', {
      restartCount: 1, lastState: { exitCode: 137, reason: 'Error', finishedAt: '2026-01-01T00:00:09Z' },
    });
    assert.deepEqual(reasons(before, pod([killed])), ['Killing/a', 'Exited/a', 'BackOff/a']);
  });

  it('a probe failing with a new message is another Unhealthy; the same one again is not', () => {
    const unhealthy = (message: string) => pod([running('a', { ready: false, reason: 'Unhealthy', message })]);
    assert.deepEqual(reasons(pod([running('a')]), unhealthy('readiness probe failed: HTTP 500')), ['Unhealthy/a']);
    assert.deepEqual(reasons(unhealthy('readiness probe failed: HTTP 500'), unhealthy('readiness probe failed: HTTP 500')), []);
    assert.deepEqual(reasons(unhealthy('readiness probe failed: HTTP 500'), unhealthy('readiness probe failed: HTTP 503')), ['Unhealthy/a']);
  });

  it('a pod\'s creation and removal only where the engine makes them (Kubernetes); the controller records its own', () => {
    const created = pod([waiting('a', 'ContainerCreating')], 'pending');
    assert.deepEqual(reasons(undefined, created, true), ['PodCreated']);
    assert.deepEqual(reasons(undefined, created, false), []);
    assert.deepEqual(reasons(pod([running('a')]), pod([running('a')], 'terminating'), true), ['Killing']);
    assert.deepEqual(reasons(pod([running('a')]), pod([running('a')], 'terminating'), false), []);
  });
});
