import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ObservedWorkload } from '../../src/domain/observed.js';
import { describe as describeOperation } from '../../src/domain/plan.js';
import { NO_POD_INPUTS } from '../../src/domain/pod-inputs.js';
import type { DesiredService } from '../../src/domain/service.js';
import { planWorkload } from '../../src/domain/workload-plan.js';

const KEY = { region: 'r', project: 'p', app: 'a', service: 's' };
const RESOURCES = { cpu: 1, memoryMb: 1024 };

function desired(overrides: Partial<DesiredService> = {}): DesiredService {
  return {
    key: KEY,
    uid: 'uid-1',
    type: 'stateless',
    resourceSpec: '1U1G',
    containers: [],
    instanceNumber: 3,
    stopped: false,
    ports: [{ port: 80, protocol: 'TCP' }],
    revision: 2,
    templateHash: 'hash2',
    rollout: { minReadySeconds: 10, progressDeadlineSeconds: 600, autoRollback: false },
    podTemplateHash: 'hash2',
    creationTime: '2026-01-01T00:00:00Z',
    updateTime: '2026-01-01T00:00:00Z',
    ...overrides,
  };
}

function observed(overrides: Partial<ObservedWorkload> = {}): ObservedWorkload {
  return { serviceUid: 'uid-1', revision: 2, podTemplateHash: 'hash2', replicas: 3, ports: [{ port: 80, protocol: 'TCP' }], ...overrides };
}

const lines = (state: DesiredService | undefined, workload: ObservedWorkload | undefined): string[] =>
  planWorkload(KEY, state, workload, RESOURCES, NO_POD_INPUTS).map(describeOperation);

describe('planWorkload', () => {
  test('a workload that matches needs nothing', () => {
    assert.deepEqual(lines(desired(), observed()), []);
  });

  test('no workload: apply one with instanceNumber replicas (0 while stopped)', () => {
    assert.deepEqual(lines(desired(), undefined), ['apply revision 2 with 3 replica(s): the service has no workload']);
    assert.deepEqual(lines(desired({ stopped: true }), undefined), ['apply revision 2 with 0 replica(s): the service has no workload']);
  });

  test('the apply carries everything render needs', () => {
    const inputs = { ...NO_POD_INPUTS, projectQuota: { pods: 6 } };
    const [operation] = planWorkload(KEY, desired(), undefined, RESOURCES, inputs);
    assert.equal(operation?.action, 'apply');
    assert.deepEqual(operation?.action === 'apply' && operation.workload, {
      key: KEY,
      serviceUid: 'uid-1',
      type: 'stateless',
      revision: 2,
      podTemplateHash: 'hash2',
      containers: [],
      resources: RESOURCES,
      ports: [{ port: 80, protocol: 'TCP' }],
      configMaps: NO_POD_INPUTS.configMaps,
      volumes: NO_POD_INPUTS.volumes,
      projectQuota: { pods: 6 },
      replicas: 3,
      minReadySeconds: 10,
      progressDeadlineSeconds: 600,
    });
  });

  test('changed rollout settings are applied; a workload from before them is left alone', () => {
    assert.deepEqual(lines(desired({ rollout: { minReadySeconds: 5, progressDeadlineSeconds: 60, autoRollback: false } }), observed({ minReadySeconds: 10, progressDeadlineSeconds: 600 })), [
      'apply revision 2 with 3 replica(s): rollout settings change from minReadySeconds 10, progressDeadlineSeconds 600 to minReadySeconds 5, progressDeadlineSeconds 60',
    ]);
    assert.deepEqual(lines(desired(), observed({ minReadySeconds: 10, progressDeadlineSeconds: 600 })), []);
    assert.deepEqual(lines(desired(), observed()), []);
  });

  test('a new template is applied: the engine rolls it out', () => {
    assert.deepEqual(lines(desired(), observed({ revision: 1, podTemplateHash: 'hash1' })), [
      'apply revision 2 with 3 replica(s): roll out revision 2 over revision 1',
    ]);
  });

  test('changed ports are applied; with a new template, in the same apply', () => {
    const ports = [{ port: 53, protocol: 'UDP' as const }];
    assert.deepEqual(lines(desired({ ports }), observed()), ['apply revision 2 with 3 replica(s): ports change from [80/TCP] to [53/UDP]']);
    assert.deepEqual(lines(desired({ ports: [] }), observed({ podTemplateHash: 'hash1', revision: 1 })), [
      'apply revision 2 with 3 replica(s): roll out revision 2 over revision 1; ports change from [80/TCP] to []',
    ]);
  });

  test('stop, start and scale change only the replica count', () => {
    assert.deepEqual(lines(desired({ stopped: true }), observed()), ['scale to 0 replica(s): the service is stopped']);
    assert.deepEqual(lines(desired(), observed({ replicas: 0 })), ['scale to 3 replica(s): the service is started with 3 instance(s)']);
    assert.deepEqual(lines(desired({ instanceNumber: 5 }), observed()), ['scale to 5 replica(s): scale from 3 to 5']);
    assert.deepEqual(lines(desired({ stopped: true }), observed({ replicas: 0 })), []);
  });

  test('a deleted service: delete its workload, if there is one', () => {
    assert.deepEqual(lines(undefined, observed()), ['delete the workload: the service was deleted']);
    assert.deepEqual(lines(undefined, undefined), []);
  });

  test('the workload of an earlier service of the same name is deleted, then a new one applied', () => {
    assert.deepEqual(lines(desired(), observed({ serviceUid: 'uid-0' })), [
      'delete the workload: left by an earlier service of the same name',
      'apply revision 2 with 3 replica(s): the service has no workload',
    ]);
  });
});
