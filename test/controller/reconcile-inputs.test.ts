import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { pino } from 'pino';
import type { ServiceCreate } from '../../src/model/service.js';
import { Controller, DEFAULT_CONTROLLER_OPTIONS } from '../../src/controller/controller.js';
import { configMapDigest, podTemplateHash } from '../../src/domain/configmaps.js';
import type { ObservedPod } from '../../src/domain/observed.js';
import type { Operation, PodSpec } from '../../src/domain/plan.js';
import { createService, setStopped, type ServiceChange, type ServiceState } from '../../src/domain/service.js';
import { STORE_TEST_POLICY as POLICY } from '../domain/fixtures.js';
import type { Region } from '../../src/regions.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import { openSqlite } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrations.js';
import { StoreEventRecorder } from '../../src/store/event-recorder.js';
import { Store } from '../../src/store/store.js';
import { EngineChanges } from '../../src/runtime/engine-changes.js';

const NOW = '2026-01-01T00:00:00.000Z';
const app = { region: 'local', project: 'inputs', app: 'shop' };
const key = { ...app, service: 'db' };
const cmRef = { region: 'local', project: 'inputs', name: 'cm' };
const V1 = { key1: 'v1' };
const V2 = { key1: 'v2' };

/** An engine that keeps the pods it was asked for, running, and lets a test act inside an execute. */
function fakeRuntime(): Runtime & { created: PodSpec[]; duringCreate?: () => Promise<void> } {
  const pods = new Map<string, ObservedPod>();
  const runtime: Runtime & { created: PodSpec[]; duringCreate?: () => Promise<void> } = {
    kind: 'simulated',
    description: 'a fake engine that records the pods it creates',
    rollouts: 'wharf',
    created: [],
    start: async () => {},
    close: async () => {},
    known: true,
    observe: () => ({ known: true, pods: [...pods.values()] }),
    observedKeys: () => [],
    exec: () => Promise.reject(new Error('the reconcile tests run no command')),
    execute: async (operation: Operation) => {
      if (operation.action === 'remove') pods.delete(operation.pod);
      if (operation.action !== 'create') return;
      await runtime.duringCreate?.();
      const spec = operation.pod;
      runtime.created.push(spec);
      pods.set(spec.name, {
        name: spec.name, serviceUid: spec.serviceUid, revision: spec.revision, podTemplateHash: spec.podTemplateHash,
        status: { phase: 'running', reason: '', message: '' }, containerStatuses: [], ready: true, readySince: NOW, creationTime: NOW,
      });
    },
    volumeStatus: () => ({ status: 'success', message: '' }),
    logs: async () => { throw new Error('the reconcile tests read no log'); },
    stats: async () => { throw new Error('the reconcile tests read no stats'); },
  };
  return runtime;
}

function reader(): ServiceChange {
  const input: ServiceCreate = {
    name: key.service,
    type: 'stateful',
    resourceSpec: '1U1G',
    containers: [{
      image: 'pg:1',
      envs: [{ type: 'configMap', name: 'K', value: 'cm.key1' }],
      configs: [{ configMapName: 'cm', mountPath: '/etc/cm' }],
      volumeMounts: [{ volumeName: 'data', mountPath: '/data' }],
    }],
  };
  return createService(key, input, POLICY, { uid: 'uid-db', now: NOW });
}

/** Creates the service in the store; returns its first state. */
async function created(store: Store): Promise<ServiceChange> {
  const change = reader();
  await store.createApp(app, NOW, [change]);
  return change;
}

/** The hash a pod of the service carries when it reads `data` as ConfigMap cm (undefined: cm does not exist). */
function hashWith(state: ServiceState, data: Record<string, string> | undefined): string {
  return podTemplateHash(state, new Map(data ? [['cm', configMapDigest(data)]] : []));
}

describe('the controller resolves ConfigMaps and volumes before planning; drivers get them on the operation', () => {
  let dataDir: string;
  let store: Store;
  let runtime: ReturnType<typeof fakeRuntime>;
  let controller: Controller;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-inputs-'));
    const db = openSqlite(dataDir);
    await migrateToLatest(db);
    store = new Store(db, { volumeDefaults: () => ({ sizeGi: 10, storage: { storageType: 'local', fsType: 'ext4' } }) });
    runtime = fakeRuntime();
    const region = { name: 'local', runtime, changes: new EngineChanges(), storageTypes: [], policy: POLICY } as unknown as Region;
    controller = new Controller(store, new Map([['local', region]]), pino({ level: 'silent' }), DEFAULT_CONTROLLER_OPTIONS, new StoreEventRecorder(store, pino({ level: 'silent' })));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a ConfigMap changed while the pod is created: the pod has the content its hash names, and the next reconcile rolls it', async () => {
    await store.configMaps.create(cmRef, V1, NOW);
    await store.volumes.create({ ...cmRef, name: 'data' }, 3, { storageType: 'fast', fsType: 'ext4' }, NOW);
    const { state } = await created(store);
    runtime.duringCreate = async () => {
      runtime.duringCreate = undefined;
      await store.configMaps.update(cmRef, V2, NOW);
    };

    await controller.reconcile(key);
    const [first] = runtime.created;
    assert.deepEqual(first?.configMaps.get('cm')?.data, V1, 'the pod carries the content the plan read');
    assert.equal(first?.podTemplateHash, hashWith(state, V1), 'and the hash of that content, not of the one written since');
    assert.deepEqual(first?.volumes.get('data'), { project: 'inputs', name: 'data', sizeGi: 3, storageType: 'fast' }, 'the volume as the store has it');

    await controller.reconcile(key);
    // Stateful: the old pod goes first, and its successor comes in the reconcile after it is gone.
    await controller.reconcile(key);
    assert.equal(runtime.created.length, 2, 'the pod of the old content is replaced');
    const second = runtime.created[1]!;
    assert.deepEqual([second.configMaps.get('cm')?.data, second.podTemplateHash], [V2, hashWith(state, V2)], 'by one of the new content');
    assert.deepEqual(runtime.observe(key).pods.map((pod) => pod.podTemplateHash), [hashWith(state, V2)], 'the old pod is gone');
  });

  it('a ConfigMap changed after the desired state was read: the hash follows the content carried, not the earlier read', async () => {
    await store.configMaps.create(cmRef, V1, NOW);
    const { state } = await created(store);
    const findDesired = store.findDesired.bind(store);
    store.findDesired = async (at) => {
      const desired = await findDesired(at);
      await store.configMaps.update(cmRef, V2, NOW);
      return desired;
    };
    assert.equal((await findDesired(key))?.podTemplateHash, hashWith(state, V1), 'the desired state was read with the first content');

    await controller.reconcile(key);
    const [pod] = runtime.created;
    assert.deepEqual([pod?.configMaps.get('cm')?.data, pod?.podTemplateHash], [V2, hashWith(state, V2)], 'content and hash agree');
  });

  it('a ConfigMap that does not exist is carried as absent, and its creation changes the hash', async () => {
    const { state } = await created(store);
    await controller.reconcile(key);
    const [waiting] = runtime.created;
    assert.deepEqual([waiting?.configMaps.size, waiting?.podTemplateHash], [0, hashWith(state, undefined)], 'no content, the hash of its absence');

    await store.configMaps.create(cmRef, V1, NOW);
    await controller.reconcile(key);
    await controller.reconcile(key); // the first removed the pod of the old hash
    assert.deepEqual(runtime.created.map((pod) => pod.podTemplateHash), [hashWith(state, undefined), hashWith(state, V1)], 'a new pod carries it');
  });

  it('a stop committed after the desired state was read: the plan made before it is not executed', async () => {
    await store.configMaps.create(cmRef, V1, NOW);
    await created(store);
    const findDesired = store.findDesired.bind(store);
    store.findDesired = async (at) => {
      const desired = await findDesired(at);
      store.findDesired = findDesired;
      await store.updateService(key, 10, (current) => setStopped(current, true, '2026-01-01T00:00:01.000Z'));
      return desired;
    };

    await controller.reconcile(key);
    assert.deepEqual(runtime.created, [], 'no pod is created for a service stopped since its plan was made');
    await controller.reconcile(key);
    assert.deepEqual(runtime.observe(key).pods, [], 'and the next reconcile, which reads the stop, creates none');
  });
});
