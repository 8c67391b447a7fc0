import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { Controller, DEFAULT_CONTROLLER_OPTIONS } from '../../src/controller/controller.js';
import type { ServiceKey } from '../../src/domain/keys.js';
import type { ObservedService } from '../../src/domain/observed.js';
import type { Region } from '../../src/regions.js';
import { EngineChanges } from '../../src/runtime/engine-changes.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import { openSqlite } from '../../src/store/database.js';
import { StoreEventRecorder } from '../../src/store/event-recorder.js';
import { migrateToLatest } from '../../src/store/migrations.js';
import { Store } from '../../src/store/store.js';
import { createService } from '../../src/domain/service.js';
import { STORE_TEST_POLICY as POLICY } from '../domain/fixtures.js';
import { eventually } from '../support/api.js';

const silent = pino({ level: 'silent' });

/**
 * An engine that reports `count` services the store does not know (orphans with no pod left) and
 * answers at once, as the simulated runtime does: a reconcile of one reads the store, observes,
 * plans nothing, and never waits for I/O. `observed` counts the reconciles.
 */
function orphanEngine(count: number): Runtime & { observed: number; onObserve?: () => void } {
  const keys: ServiceKey[] = Array.from({ length: count }, (_, index) => ({ region: 'local', project: 'turns', app: 'shop', service: `s${index}` }));
  const runtime: Runtime & { observed: number; onObserve?: () => void } = {
    kind: 'simulated',
    description: 'a fake engine of orphaned services',
    rollouts: 'wharf',
    observed: 0,
    known: true,
    start: async () => {},
    close: async () => {},
    observe: (): ObservedService => {
      runtime.observed++;
      runtime.onObserve?.();
      return { known: true, pods: [] };
    },
    observedKeys: () => keys,
    exec: () => Promise.reject(new Error('these tests run no command')),
    execute: () => Promise.reject(new Error('an orphan with no pod needs no operation')),
    volumeStatus: () => ({ status: 'success', message: '' }),
    logs: () => Promise.reject(new Error('these tests read no log')),
    stats: () => Promise.reject(new Error('these tests read no stats')),
  };
  return runtime;
}

// SQLite on every engine the suites run on: its driver answers without I/O, which is the case these tests are about.
describe('the controller gives the event loop a turn, so the API is served while it works through thousands of services', () => {
  let dataDir: string;
  let store: Store;
  let controller: Controller | undefined;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-turns-'));
    const db = openSqlite(dataDir);
    await migrateToLatest(db);
    store = new Store(db, { volumeDefaults: () => ({ sizeGi: 10, storage: { storageType: 'local', fsType: 'ext4' } }) });
  });
  afterEach(async () => {
    await controller?.close();
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  function controllerOf(runtime: Runtime): Controller {
    const region = { name: 'local', runtime, changes: new EngineChanges(), storageTypes: [], policy: POLICY } as unknown as Region;
    // A slice of 0: the workers wait a turn as soon as they can, so what these tests see does not depend on the machine's speed.
    const options = { ...DEFAULT_CONTROLLER_OPTIONS, eventLoopSliceMs: 0 };
    return new Controller(store, new Map([['local', region]]), silent, options, new StoreEventRecorder(store, silent));
  }

  it('between two reconciles: a callback queued during the first runs before the queue drains', async () => {
    const services = 200;
    const runtime = orphanEngine(services);
    let reconciledWhenCalled: number | undefined;
    runtime.onObserve = () => {
      runtime.onObserve = undefined;
      setImmediate(() => (reconciledWhenCalled = runtime.observed));
    };
    controller = controllerOf(runtime);
    await controller.start();
    await eventually(async () => runtime.observed, (observed) => observed === services);
    assert.ok(reconciledWhenCalled !== undefined, 'the callback ran');
    assert.ok(reconciledWhenCalled < services, `the callback ran after ${reconciledWhenCalled} of ${services} reconciles, not once they were all done`);
  });

  it('during a resync: a callback queued as it starts runs before every service is queued', async () => {
    const services = 2000;
    controller = controllerOf(orphanEngine(services));
    let queuedWhenCalled: number | undefined;
    const resync = controller.resync();
    setImmediate(() => (queuedWhenCalled = controller?.queueDepth));
    await resync;
    assert.equal(controller.queueDepth, services, 'the resync queued every service');
    assert.ok(queuedWhenCalled !== undefined, 'the callback ran');
    assert.ok(queuedWhenCalled > 0 && queuedWhenCalled < services, `${queuedWhenCalled} of ${services} services were queued when the callback ran: some, not all`);
  });
  it('during a resync of the store\'s services: they are read a page at a time, with a turn of the loop between', async () => {
    const apps = 200;
    const perApp = 5;
    for (let index = 0; index < apps; index++) {
      const app = { region: 'local', project: 'turns', app: `a${index}` };
      const changes = Array.from({ length: perApp }, (_, service) =>
        createService({ ...app, service: `s${service}` }, { name: `s${service}`, type: 'stateless', resourceSpec: '1U1G', containers: [{ image: 'web:1' }] }, POLICY, { uid: `u${index}-${service}`, now: '2026-01-01T00:00:00.000Z' }),
      );
      await store.createApp(app, '2026-01-01T00:00:00.000Z', changes);
    }
    controller = controllerOf(orphanEngine(0));
    let queuedWhenCalled: number | undefined;
    const resync = controller.resync();
    setImmediate(() => (queuedWhenCalled = controller?.queueDepth));
    await resync;
    assert.equal(controller.queueDepth, apps * perApp, 'the resync queued every service');
    assert.ok(queuedWhenCalled !== undefined, 'the callback ran');
    // The store is read 50 apps at a time: a read of every key held the loop for 8 ms at 10,000.
    assert.ok(queuedWhenCalled <= 50 * perApp, `the callback ran after ${queuedWhenCalled} of ${apps * perApp} services were read and queued: one page`);
  });
});
