import type { ServiceKey } from '../../src/domain/keys.js';
import type { ObservedPod } from '../../src/domain/observed.js';
import type { PlanContext } from '../../src/domain/plan.js';
import { NO_POD_INPUTS } from '../../src/domain/pod-inputs.js';
import type { DesiredService } from '../../src/domain/service.js';
import type { RegionPolicy } from '../../src/domain/validation.js';

export const KEY: ServiceKey = { region: 'local', project: 'proj', app: 'shop', service: 'web' };
export const OLD_HASH = 'oldhash000';
export const NEW_HASH = 'newhash000';

/** A desired state at revision 2 (template NEW_HASH); revision 1 had OLD_HASH. */
export function desiredState(overrides: Partial<DesiredService> = {}): DesiredService {
  return {
    key: KEY,
    uid: 'uid-1',
    type: 'stateless',
    resourceSpec: '1U1G',
    containers: [{ name: 'container-0', image: 'nginx:2', workingDir: '', command: [], args: [], volumeMounts: [], configs: [], envs: [] }],
    instanceNumber: 2,
    stopped: false,
    ports: [],
    revision: 2,
    templateHash: NEW_HASH,
    podTemplateHash: NEW_HASH,
    rollout: { minReadySeconds: 10, progressDeadlineSeconds: 600, autoRollback: false },
    creationTime: '2026-01-01T00:00:00.000Z',
    updateTime: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

export interface PodShape {
  revision?: number;
  ready?: boolean;
  phase?: ObservedPod['status']['phase'];
  uid?: string;
  /** Minutes after a fixed instant; orders pods by age. */
  minute?: number;
  /** Seconds before NOW (planContext's) since every container runs; default: since its creation. */
  readyFor?: number;
}

/** The planner's clock in these tests: an hour after the fixed instant, after every pod's creation. */
export const NOW = Date.parse('2026-01-01T01:00:00.000Z');

/** An observed pod; revision 1 pods carry OLD_HASH, revision 2 pods NEW_HASH. */
export function pod(name: string, shape: PodShape = {}): ObservedPod {
  const revision = shape.revision ?? 2;
  const ready = shape.ready ?? true;
  const phase = shape.phase ?? (ready ? 'running' : 'pending');
  const creationTime = `2026-01-01T00:${String(shape.minute ?? 0).padStart(2, '0')}:00.000Z`;
  const readySince = shape.readyFor === undefined ? creationTime : new Date(NOW - shape.readyFor * 1000).toISOString();
  return {
    name,
    serviceUid: shape.uid ?? 'uid-1',
    revision,
    podTemplateHash: revision === 1 ? OLD_HASH : NEW_HASH,
    status: { phase, reason: '', message: '' },
    containerStatuses: [],
    ready,
    ...(ready ? { readySince } : {}),
    creationTime,
  };
}

/** Pod suffixes s0001, s0002, … so plans compare line by line. */
export function planContext(): PlanContext {
  let next = 0;
  return { resources: { cpu: 1, memoryMb: 1024 }, podSuffix: () => `s${String(++next).padStart(4, '0')}`, now: NOW, inputs: NO_POD_INPUTS };
}

/** A region offering one resource spec (1U1G) and no GPU: enough for tests that write services to a store. */
export const STORE_TEST_POLICY: RegionPolicy = {
  resourceSpecs: [{ name: '1U1G', cpu: 1, memory: 1024, meomory: 1024, desc: '' }],
  gpus: [],
  maxInstances: 50,
  revisionHistoryLimit: 10,
  allowedRegistries: undefined,
  mapsServicePorts: true,
};
