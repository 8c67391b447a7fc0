import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WharfError } from '../../src/domain/errors.js';
import { checkQuota, NO_USAGE, usageOf } from '../../src/domain/quota.js';
import type { ServiceState } from '../../src/domain/service.js';
import { KEY } from './fixtures.js';

const SPECS = [{ name: '1U1G', cpu: 1, memory: 1024 }, { name: 'half', cpu: 0.5, memory: 512 }];

function state(overrides: Partial<ServiceState>): ServiceState {
  const container = { name: 'c', image: 'nginx', workingDir: '', command: [], args: [], volumeMounts: [], configs: [], envs: [] };
  return {
    key: KEY, uid: 'u', type: 'stateless', resourceSpec: '1U1G', containers: [container, { ...container, name: 'd' }], instanceNumber: 3,
    stopped: false, ports: [], revision: 1, templateHash: 'h', rollout: { minReadySeconds: 10, progressDeadlineSeconds: 600, autoRollback: false }, creationTime: '', updateTime: '', ...overrides,
  };
}

describe('quota usage', () => {
  it('counts pods, containers and each container\'s spec on services that are not stopped', () => {
    assert.deepEqual(usageOf([state({}), state({ resourceSpec: 'half', instanceNumber: 1 }), state({ stopped: true })], SPECS), {
      services: 3, pods: 4, containers: 8, cpu: 7, memory: 7168,
    });
    assert.deepEqual(usageOf([state({ resourceSpec: 'gone' })], SPECS), { services: 1, pods: 3, containers: 6, cpu: 0, memory: 0 });
  });

  it('refuses only growth past a limit', () => {
    const usage = (pods: number) => ({ ...NO_USAGE, pods });
    assert.throws(() => checkQuota('project "p"', { pods: 5 }, usage(5), usage(6)), (error: WharfError) =>
      error.code === 'QuotaExceeded' && error.statusCode === 403 && error.message === 'project "p" may use 5 pods (quota pods); it uses 5 and this change would make it 6');
    checkQuota('project "p"', { pods: 5 }, usage(4), usage(5));
    checkQuota('project "p"', { pods: 5 }, usage(9), usage(8));
    checkQuota('project "p"', { pods: 5 }, usage(9), usage(9));
    checkQuota('project "p"', {}, usage(0), usage(1e6));
  });
});
