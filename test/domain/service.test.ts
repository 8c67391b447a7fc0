import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServiceCreate } from '../../src/model/service.js';
import { WharfError } from '../../src/domain/errors.js';
import {
  createService,
  revisionsToPrune,
  rollbackService,
  scaleService,
  setPorts,
  setStopped,
  upgradeService,
  type ServiceState,
} from '../../src/domain/service.js';
import { normalizeContainers, templateHash } from '../../src/domain/template.js';
import type { GpuType, RegionPolicy } from '../../src/domain/validation.js';
import { KEY } from './fixtures.js';

const gpuType = (type: string): GpuType => ({
  type,
  docker: { driver: 'nvidia', capabilities: ['gpu'] },
  kubernetes: { resource: 'nvidia.com/gpu', nodeSelector: {} },
});

const POLICY: RegionPolicy = {
  resourceSpecs: [
    { name: '1U1G', cpu: 1, memory: 1024, meomory: 1024, desc: '' },
    { name: '2U4G', cpu: 2, memory: 4096, meomory: 4096, desc: '' },
  ],
  gpus: [gpuType('nvidia-t4'), gpuType('nvidia-a100')],
  maxInstances: 50,
  revisionHistoryLimit: 10,
  allowedRegistries: undefined,
  mapsServicePorts: true,
};
/** A Docker region's: its DNS aliases reach the pods' own ports. */
const DOCKER_POLICY: RegionPolicy = { ...POLICY, gpus: [], mapsServicePorts: false };
const CREATED = '2026-01-01T00:00:00.000Z';
const LATER = '2026-01-02T00:00:00.000Z';

function created(overrides: Partial<ServiceCreate> = {}): ServiceState {
  const input: ServiceCreate = {
    name: 'web',
    type: 'stateless',
    resourceSpec: '1U1G',
    instanceNumber: 2,
    containers: [{ image: 'nginx:1' }],
    ...overrides,
  };
  return createService(KEY, input, POLICY, { uid: 'uid-1', now: CREATED }).state;
}

function expectInvalid(action: () => unknown, mentions: string): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof WharfError, 'error instanceof WharfError');
    assert.equal(error.code, 'InvalidArgs');
    assert.ok(error.message.includes(mentions), error.message);
    return true;
  });
}

describe('createService', () => {
  it('opens revision 1 with the normalised template', () => {
    const change = createService(KEY, { name: 'web', type: 'stateless', resourceSpec: '1U1G', containers: [{ image: 'nginx:1' }] }, POLICY, {
      uid: 'uid-1',
      now: CREATED,
    });
    assert.equal(change.state.revision, 1);
    assert.equal(change.state.instanceNumber, 1);
    assert.equal(change.state.stopped, false);
    assert.deepEqual(change.newRevision, {
      revision: 1,
      resourceSpec: '1U1G',
      containers: change.state.containers,
      templateHash: change.state.templateHash,
      creationTimestamp: CREATED,
    });
  });

  it('prefixes field names of an inline microservice', () => {
    expectInvalid(
      () => createService(KEY, { name: 'web', type: 'stateful', resourceSpec: '1U1G', instanceNumber: 2, containers: [{ image: 'x' }] }, POLICY, { uid: 'u', now: CREATED }, 'microservices[3].'),
      'microservices[3].instanceNumber',
    );
  });
});

describe('upgradeService', () => {
  it('opens the next revision for a new template', () => {
    const current = created();
    const { state, newRevision } = upgradeService(current, { containers: [{ image: 'nginx:2' }] }, POLICY, LATER);
    assert.equal(state.revision, 2);
    assert.equal(state.updateTime, LATER);
    assert.equal(state.instanceNumber, 2);
    assert.equal(state.resourceSpec, '1U1G');
    assert.equal(state.containers[0]!.image, 'nginx:2');
    assert.notEqual(state.templateHash, current.templateHash);
    assert.equal(newRevision?.revision, 2);
    assert.equal(newRevision?.templateHash, state.templateHash);
    assert.equal(newRevision?.creationTimestamp, LATER);
  });

  it('changes nothing for the current template, however it is spelled', () => {
    const current = created({ containers: [{ image: 'nginx:1' }] });
    const same = upgradeService(current, { resourceSpec: '1U1G', containers: [{ name: 'container-0', image: 'nginx:1', envs: [], workingDir: '' }] }, POLICY, LATER);
    assert.equal(same.state, current);
    assert.equal(same.newRevision, undefined);
  });

  it('refuses an empty change, an unknown spec and volumes in a stateless service', () => {
    const current = created();
    expectInvalid(() => upgradeService(current, {}, POLICY, LATER), 'resourceSpec');
    expectInvalid(() => upgradeService(current, { resourceSpec: '8U8G' }, POLICY, LATER), 'resourceSpec');
    expectInvalid(
      () => upgradeService(current, { containers: [{ image: 'x', volumeMounts: [{ volumeName: 'v', mountPath: '/v' }] }] }, POLICY, LATER),
      'containers[0].volumeMounts',
    );
  });
});

describe('rollbackService', () => {
  const revisionOf = (state: ServiceState) => ({
    revision: state.revision,
    resourceSpec: state.resourceSpec,
    containers: state.containers,
    templateHash: state.templateHash,
    creationTimestamp: state.updateTime,
  });

  it('opens revision max+1 with the old template', () => {
    const first = created();
    const second = upgradeService(first, { resourceSpec: '2U4G', containers: [{ image: 'nginx:2' }] }, POLICY, LATER).state;
    const { state, newRevision } = rollbackService(second, revisionOf(first), LATER);
    assert.equal(state.revision, 3);
    assert.equal(state.resourceSpec, '1U1G');
    assert.deepEqual(state.containers, first.containers);
    assert.equal(state.templateHash, first.templateHash);
    assert.equal(newRevision?.revision, 3);
  });

  it('changes nothing when rolling back to the current template', () => {
    const current = created();
    const change = rollbackService(current, revisionOf(current), LATER);
    assert.equal(change.state, current);
    assert.equal(change.newRevision, undefined);
  });
});

describe('scale, stop and ports', () => {
  it('scales a stateless service within 1..maxInstances', () => {
    assert.equal(scaleService(created(), 50, POLICY, LATER).state.instanceNumber, 50);
    expectInvalid(() => scaleService(created(), 51, POLICY, LATER), 'count');
    expectInvalid(() => scaleService(created(), 0, POLICY, LATER), 'count');
  });

  it('forbids scaling a stateful service', () => {
    const stateful = created({ type: 'stateful', instanceNumber: 1 });
    assert.throws(() => scaleService(stateful, 1, POLICY, LATER), (error: unknown) => error instanceof WharfError && error.code === 'OperationForbbiden');
  });

  it('keeps the instanceNumber across stop and start, unchanged when repeated', () => {
    const stopped = setStopped(created(), true, LATER).state;
    assert.equal(stopped.stopped, true);
    assert.equal(stopped.instanceNumber, 2);
    assert.equal(setStopped(stopped, true, LATER).state, stopped);
    assert.equal(setStopped(stopped, false, LATER).state.stopped, false);
  });

  it('replaces ports without a new revision', () => {
    const current = created();
    const change = setPorts(current, [{ port: 53, protocol: 'UDP' }], POLICY, LATER);
    assert.deepEqual(change.state.ports, [{ port: 53, protocol: 'UDP' }]);
    assert.equal(change.state.revision, current.revision);
    assert.equal(change.newRevision, undefined);
    expectInvalid(() => setPorts(current, [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'UDP' }], POLICY, LATER), 'ports[1]');
  });
});

describe('gpuSpec', () => {
  const T4 = { type: 'nvidia-t4', number: 1 };

  it('is part of the template: created into revision 1, absent without GPUs', () => {
    const change = createService(KEY, { name: 'web', type: 'stateless', resourceSpec: '1U1G', containers: [{ image: 'nginx:1' }], gpuSpec: T4 }, POLICY, {
      uid: 'uid-1',
      now: CREATED,
    });
    assert.deepEqual(change.state.gpuSpec, T4);
    assert.deepEqual(change.newRevision?.gpuSpec, T4);
    assert.equal('gpuSpec' in created(), false, 'a service without GPUs has no gpuSpec key');
    assert.equal('gpuSpec' in created({ gpuSpec: { type: '', number: 0 } }), false, 'number 0 asks for no GPU');
  });

  it('names the types the region has, or says it has none', () => {
    expectInvalid(() => created({ gpuSpec: { type: 'nvidia-h100', number: 1 } }), 'gpuSpec.type "nvidia-h100" is not offered in this region (one of: nvidia-t4, nvidia-a100)');
    expectInvalid(
      () => createService(KEY, { name: 'web', type: 'stateless', resourceSpec: '1U1G', containers: [{ image: 'x' }], gpuSpec: T4 }, DOCKER_POLICY, { uid: 'u', now: CREATED }, 'microservices[2].'),
      'microservices[2].gpuSpec.type "nvidia-t4" is not offered in this region (this region offers no GPU)',
    );
  });

  it('an upgrade sets, changes, keeps and (number 0) removes it, each change a new revision', () => {
    const plain = created();
    const set = upgradeService(plain, { gpuSpec: T4 }, POLICY, LATER);
    assert.deepEqual(set.state.gpuSpec, T4);
    assert.equal(set.state.revision, 2);
    const changed = upgradeService(set.state, { gpuSpec: { type: 'nvidia-a100', number: 2 } }, POLICY, LATER);
    assert.deepEqual(changed.newRevision?.gpuSpec, { type: 'nvidia-a100', number: 2 });
    const kept = upgradeService(changed.state, { containers: [{ image: 'nginx:2' }] }, POLICY, LATER).state;
    assert.deepEqual(kept.gpuSpec, { type: 'nvidia-a100', number: 2 }, 'an upgrade without gpuSpec keeps it');
    const removed = upgradeService(kept, { gpuSpec: { type: '', number: 0 } }, POLICY, LATER);
    assert.equal('gpuSpec' in removed.state, false, 'number 0 removes the GPUs');
    assert.equal(removed.state.revision, 5);
    assert.equal(upgradeService(set.state, { gpuSpec: T4 }, POLICY, LATER).newRevision, undefined, 'the same GPUs are no change');
    expectInvalid(() => upgradeService(plain, { gpuSpec: { type: 'tpu', number: 1 } }, POLICY, LATER), 'gpuSpec.type "tpu"');
  });

  it('a rollback restores the GPUs of the revision, or their absence', () => {
    const first = created();
    const second = upgradeService(first, { gpuSpec: T4 }, POLICY, LATER);
    const back = rollbackService(second.state, { ...first, creationTimestamp: CREATED }, LATER).state;
    assert.equal('gpuSpec' in back, false, 'revision 1 had no GPU');
    assert.equal(back.revision, 3);
    const forward = rollbackService(back, second.newRevision!, LATER).state;
    assert.deepEqual(forward.gpuSpec, T4);
    assert.equal(forward.templateHash, second.state.templateHash);
  });
});

describe('servicePort', () => {
  it('is kept only where it differs from the port, on create and on a ports update', () => {
    const ports = [{ port: 80, protocol: 'TCP' as const, servicePort: 80 }, { port: 8080, protocol: 'TCP' as const, servicePort: 443 }];
    const expected = [{ port: 80, protocol: 'TCP' }, { port: 8080, protocol: 'TCP', servicePort: 443 }];
    assert.deepEqual(created({ ports }).ports, expected);
    assert.deepEqual(setPorts(created(), ports, POLICY, LATER).state.ports, expected);
  });

  it('refuses two ports answering on one service port and protocol', () => {
    expectInvalid(
      () => setPorts(created(), [{ port: 80, protocol: 'TCP' }, { port: 8080, protocol: 'TCP', servicePort: 80 }], POLICY, LATER),
      'ports[1] answers on 80/TCP, as ports[0] does',
    );
    const sameNumberOtherProtocol = [{ port: 53, protocol: 'TCP' as const }, { port: 5353, protocol: 'UDP' as const, servicePort: 53 }];
    assert.equal(setPorts(created(), sameNumberOtherProtocol, POLICY, LATER).state.ports.length, 2);
  });

  it('a region that cannot map ports (Docker) refuses a servicePort other than the port, and says why', () => {
    expectInvalid(
      () => setPorts(created(), [{ port: 8080, protocol: 'TCP', servicePort: 80 }], DOCKER_POLICY, LATER),
      "ports[0].servicePort 80 differs from port 8080, which this region's runtime cannot honour",
    );
    const body: ServiceCreate = { name: 'web', type: 'stateless', resourceSpec: '1U1G', containers: [{ image: 'x' }], ports: [{ port: 8080, protocol: 'TCP', servicePort: 80 }] };
    expectInvalid(() => createService(KEY, body, DOCKER_POLICY, { uid: 'u', now: CREATED }), 'ports[0].servicePort 80 differs');
    assert.deepEqual(setPorts(created(), [{ port: 80, protocol: 'TCP', servicePort: 80 }], DOCKER_POLICY, LATER).state.ports, [{ port: 80, protocol: 'TCP' }]);
  });
});

describe('revisionsToPrune', () => {
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  it('keeps the newest 10', () => {
    assert.deepEqual(revisionsToPrune(range(1, 10), 10, 10), []);
    assert.deepEqual(revisionsToPrune(range(1, 11), 10, 11), [1]);
    assert.deepEqual(revisionsToPrune(range(1, 13), 10, 13).sort((a, b) => a - b), [1, 2, 3]);
  });

  it('keeps whatever order the store lists them in', () => {
    assert.deepEqual(revisionsToPrune([12, 3, 7, 1, 11, 2, 4, 5, 6, 8, 9, 10], 10, 12).sort((a, b) => a - b), [1, 2]);
  });

  it('never prunes the current revision', () => {
    assert.deepEqual(revisionsToPrune(range(1, 12), 10, 1), [2]);
    assert.deepEqual(revisionsToPrune(range(1, 5), 1, 2).sort((a, b) => a - b), [1, 3, 4]);
  });
});

describe('templateHash', () => {
  const containers = normalizeContainers([{ image: 'nginx:1', envs: [{ name: 'A', value: '1' }] }]);

  it('does not depend on key order', () => {
    const reversed = <T extends object>(value: T): T => Object.fromEntries(Object.entries(value).reverse()) as T;
    const reordered = containers.map((container) => reversed({ ...container, envs: container.envs.map(reversed) }));
    assert.equal(templateHash({ resourceSpec: '1U1G', containers }), templateHash({ containers: reordered, resourceSpec: '1U1G' }));
  });

  it('is stable: ten characters of the safe alphabet, the same every time', () => {
    const hash = templateHash({ resourceSpec: '1U1G', containers });
    assert.equal(hash, 'dwk5z8kmq6', 'a changed hash would roll every pod of every service after an upgrade of Wharf');
    assert.equal(templateHash({ resourceSpec: '1U1G', containers: structuredClone(containers) }), hash);
  });

  it('changes with anything in the template', () => {
    const base = templateHash({ resourceSpec: '1U1G', containers });
    assert.notEqual(templateHash({ resourceSpec: '2U4G', containers }), base);
    assert.notEqual(templateHash({ resourceSpec: '1U1G', containers: normalizeContainers([{ image: 'nginx:2', envs: [{ name: 'A', value: '1' }] }]) }), base);
    assert.notEqual(templateHash({ resourceSpec: '1U1G', containers: normalizeContainers([{ image: 'nginx:1', envs: [{ name: 'A', value: '2' }] }]) }), base);
  });

  it('covers the GPUs, and hashes a template without any as before GPUs existed', () => {
    const base = templateHash({ resourceSpec: '1U1G', containers });
    assert.equal(base, 'dwk5z8kmq6', 'no GPU: the hash of every existing service is unchanged');
    const t4 = templateHash({ resourceSpec: '1U1G', containers, gpuSpec: { type: 'nvidia-t4', number: 1 } });
    assert.notEqual(t4, base);
    assert.notEqual(templateHash({ resourceSpec: '1U1G', containers, gpuSpec: { type: 'nvidia-t4', number: 2 } }), t4);
    assert.notEqual(templateHash({ resourceSpec: '1U1G', containers, gpuSpec: { type: 'nvidia-a100', number: 1 } }), t4);
  });

  it('treats an omitted field and its default alike', () => {
    const explicit = normalizeContainers([{ name: 'container-0', image: 'nginx:1', workingDir: '', command: [], args: [], envs: [{ type: '', name: 'A', value: '1' }] }]);
    assert.equal(templateHash({ resourceSpec: '1U1G', containers: explicit }), templateHash({ resourceSpec: '1U1G', containers }));
  });
});
