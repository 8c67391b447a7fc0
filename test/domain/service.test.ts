import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServiceCreate } from '../../src/api/schemas/microservice.js';
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
import type { RegionPolicy } from '../../src/domain/validation.js';
import { KEY } from './fixtures.js';

const POLICY: RegionPolicy = {
  resourceSpecs: [
    { name: '1U1G', cpu: 1, memory: 1024, meomory: 1024, desc: '' },
    { name: '2U4G', cpu: 2, memory: 4096, meomory: 4096, desc: '' },
  ],
  maxInstances: 50,
  revisionHistoryLimit: 10,
  allowedRegistries: undefined,
};
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
    const change = setPorts(current, [{ port: 53, protocol: 'UDP' }], LATER);
    assert.deepEqual(change.state.ports, [{ port: 53, protocol: 'UDP' }]);
    assert.equal(change.state.revision, current.revision);
    assert.equal(change.newRevision, undefined);
    expectInvalid(() => setPorts(current, [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'UDP' }], LATER), 'ports[1]');
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

  it('treats an omitted field and its default alike', () => {
    const explicit = normalizeContainers([{ name: 'container-0', image: 'nginx:1', workingDir: '', command: [], args: [], envs: [{ type: '', name: 'A', value: '1' }] }]);
    assert.equal(templateHash({ resourceSpec: '1U1G', containers: explicit }), templateHash({ resourceSpec: '1U1G', containers }));
  });
});
