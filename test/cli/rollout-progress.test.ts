import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod, Service } from '../../src/api/schemas/microservice.js';
import type { RolloutStatus, ServiceStatus } from '../../src/model/service-status.js';
import { eventLine, progressLine, rolloutVerdict } from '../../src/cli/rollout-progress.js';

const TIME = '2026-03-01T10:00:00.000Z';

function pod(name: string, revision: number, ready: boolean, phase: Pod['status']['phase'] = 'running'): Pod {
  return { name, status: { phase, reason: '', message: '' }, containerStatuses: [], revision, ready, creationTime: TIME };
}

/** A service at `revision` with `pods`, its status counts and rollout as given. */
function service(revision: number, status: Partial<ServiceStatus>, rollout: Partial<RolloutStatus>, pods: Pod[] = []): Service {
  return {
    name: 'web', appName: 'shop', projectName: 'proj', type: 'stateless', resourceSpec: '1U1G', instanceNumber: 2, ports: [], containers: [],
    minReadySeconds: 0, progressDeadlineSeconds: 600, autoRollback: false, creationTime: TIME, updateTime: TIME, revision, pods,
    status: {
      phase: 'pending', desire: 2, current: 2, updated: 0, available: 0, unavailable: 2, ...status,
      rollout: { revision, state: 'progressing', reason: 'NewRevision', message: '', updateTime: TIME, ...rollout },
    },
  };
}

describe('rollout status: the verdict and the line drawn for a service', () => {
  it('complete only once the current revision is recorded complete and the service runs (a scale keeps the record complete)', () => {
    assert.deepEqual(rolloutVerdict(service(2, { phase: 'running', updated: 2, available: 2 }, { state: 'complete', reason: 'RolloutComplete' })), {
      state: 'complete',
      note: 'revision 2 rolled out',
    });
    assert.deepEqual(rolloutVerdict(service(2, { phase: 'pending', desire: 3, updated: 2, available: 2 }, { state: 'complete', reason: 'RolloutComplete' })), { state: 'progressing' });
    assert.deepEqual(rolloutVerdict(service(2, { phase: 'running' }, { revision: 1, state: 'complete' })), { state: 'progressing' });
    assert.deepEqual(rolloutVerdict(service(2, { phase: 'stopped', desire: 0 }, { state: 'progressing' })), { state: 'complete', note: 'stopped: no pod runs' });
  });

  it('failed at the progress deadline, and when an automatic rollback replaced the release (rolling out or done)', () => {
    const deadline = { state: 'failed' as const, reason: 'ProgressDeadlineExceeded', message: 'revision 2 made no progress for 10 s' };
    assert.deepEqual(rolloutVerdict(service(2, {}, deadline)), { state: 'failed', reason: 'ProgressDeadlineExceeded', message: 'revision 2 made no progress for 10 s' });
    const message = 'revision 2 made no progress for 10 s; rolled back to the template of revision 1';
    assert.deepEqual(rolloutVerdict(service(3, {}, { state: 'rolledBack', reason: 'RolledBack', message })), { state: 'failed', reason: 'RolledBack', message });
    assert.deepEqual(rolloutVerdict(service(3, { phase: 'running' }, { state: 'complete', reason: 'RolledBack', message })), { state: 'failed', reason: 'RolledBack', message });
  });

  it('counts as ready only ready pods of the current revision that are not going away; the bar shows them against the desired number', () => {
    const pods = [pod('new-1', 2, true), pod('new-2', 2, false), pod('old-1', 1, true), pod('old-2', 1, true, 'terminating'), pod('new-3', 2, true, 'terminating')];
    assert.equal(
      progressLine('shop/web', service(2, { updated: 2, available: 3 }, {}, pods)),
      'shop/web  progressing  [######------]  updated 2/2  ready 1/2  revision 2',
    );
    assert.equal(progressLine('shop/web', undefined), 'shop/web  waiting for the service');
  });

  it("an event under the line: type, reason, where and how often", () => {
    const event = { id: 7, time: TIME, firstTime: TIME, type: 'Warning' as const, reason: 'BackOff', message: 'back-off restarting failed container', service: 'web' };
    assert.equal(eventLine({ ...event, count: 3, pod: 'shop-web-x-1', container: 'main' }), '  Warning BackOff shop-web-x-1/main: back-off restarting failed container (×3)');
    assert.equal(eventLine({ ...event, count: 1 }), '  Warning BackOff: back-off restarting failed container');
  });
});
