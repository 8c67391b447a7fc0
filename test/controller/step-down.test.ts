import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { Controller, DEFAULT_CONTROLLER_OPTIONS } from '../../src/controller/controller.js';
import type { Region } from '../../src/regions.js';
import { EngineChanges } from '../../src/runtime/engine-changes.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import { openSqlite } from '../../src/store/database.js';
import { StoreEventRecorder } from '../../src/store/event-recorder.js';
import { migrateToLatest } from '../../src/store/migrations.js';
import { Store } from '../../src/store/store.js';
import { STORE_TEST_POLICY as POLICY } from '../domain/fixtures.js';

describe('a controller that stops (its replica no longer leads the region)', () => {
  it('has the region\'s runtime stop the engine changes it carries on in the background, once the reconciles under way are done', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wharf-step-down-'));
    const db = openSqlite(dataDir);
    await migrateToLatest(db);
    const store = new Store(db, { volumeDefaults: () => ({ sizeGi: 10, storage: { storageType: 'local', fsType: 'ext4' } }) });
    const calls: string[] = [];
    const runtime = {
      kind: 'simulated',
      rollouts: 'wharf',
      known: true,
      observe: () => ({ known: true, pods: [] }),
      observedKeys: () => [],
      relinquish: async () => {
        calls.push('relinquish');
      },
    } as unknown as Runtime;
    const region = { name: 'local', runtime, changes: new EngineChanges(), storageTypes: [], policy: POLICY } as unknown as Region;
    const log = pino({ level: 'silent' });
    const controller = new Controller(store, new Map([['local', region]]), log, DEFAULT_CONTROLLER_OPTIONS, new StoreEventRecorder(store, log));
    try {
      await controller.start();
      assert.deepEqual(calls, [], 'a leading controller leaves the runtime\'s work alone');
      await controller.close();
      assert.deepEqual(calls, ['relinquish'], 'the runtime was told, and close waited for it');
    } finally {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
