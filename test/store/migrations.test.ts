import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Migrator, type Kysely } from 'kysely';
import { openTestDatabase } from '../support/database.js';
import { migrateToLatest, migrations } from '../../src/store/migrations.js';
import { Store } from '../../src/store/store.js';

const NOW = '2026-01-01T00:00:00.000Z';

/**
 * A store at migration `before`, filled by `fill` with rows as they were written then, migrated to
 * the latest schema and read by `check` through the Store.
 */
async function afterMigrating(before: string, fill: (old: Kysely<any>) => Promise<void>, check: (store: Store) => Promise<void>): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'wharf-migration-'));
  const { db, drop } = await openTestDatabase(dataDir);
  try {
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
    const { error } = await migrator.migrateTo(before);
    assert.equal(error, undefined);
    await fill(db as unknown as Kysely<any>);
    await migrateToLatest(db);
    await check(new Store(db, { volumeDefaults: () => ({ sizeGi: 10, storage: { storageType: 'local', fsType: 'ext4' } }) }));
  } finally {
    await db.destroy();
    await drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

describe('store migrations', () => {
  it('are written in the order they run (Kysely runs them by name)', () => {
    const names = Object.keys(migrations);
    assert.deepEqual(names, [...names].sort());
    assert.deepEqual(names.map((name) => name.slice(0, 4)), names.map((_, index) => String(index + 1).padStart(4, '0')), 'numbered 0001, 0002, … without a gap');
  });
});

describe('migration 0008-rollout-settings', () => {
  it("gives a service from before it the contract's defaults, which it reads back with, and no rollout record", async () => {
    await afterMigrating('0007-configmap-digests', async (old) => {
      const app = await old.insertInto('apps').values({ region: 'local', project: 'proj', name: 'shop', created_at: NOW }).returning('id').executeTakeFirstOrThrow();
      await old.insertInto('services').values({
        app_id: app.id, uid: 'uid-1', name: 'web', type: 'stateless', resource_spec: '1U1G', containers: '[]', instance_number: 2,
        stopped: 0, ports: '[]', revision: 1, template_hash: 'h', created_at: NOW, updated_at: NOW,
      }).execute();
    }, async (store) => {
      const service = await store.findDesired({ region: 'local', project: 'proj', app: 'shop', service: 'web' });
      assert.deepEqual(service?.rollout, { minReadySeconds: 10, progressDeadlineSeconds: 600, autoRollback: false });
      assert.equal(service?.rolloutRecord, undefined);
    });
  });
});

describe('migration 0009-deletions', () => {
  it('reads the ConfigMaps and volumes from before it as not being deleted, and resumes none', async () => {
    await afterMigrating('0008-rollout-settings', async (old) => {
      await old.insertInto('configmaps').values({ region: 'local', project: 'proj', name: 'cm', data: '{"k":"v"}', version: 1, digest: 'd', created_at: NOW, updated_at: NOW }).execute();
      await old.insertInto('volumes').values({ region: 'local', project: 'proj', name: 'data', size_gi: 1, storage_type: 'local', fs_type: 'ext4', created_at: NOW }).execute();
    }, async (store) => {
      const ref = { region: 'local', project: 'proj' };
      assert.equal((await store.configMaps.get({ ...ref, name: 'cm' })).deleting, undefined);
      assert.deepEqual((await store.configMaps.find({ ...ref, name: 'cm' }))?.data, { k: 'v' }, 'services still see it');
      assert.equal((await store.volumes.get({ ...ref, name: 'data' })).volume.deleting, undefined);
      assert.equal((await store.volumes.find({ ...ref, name: 'data' }))?.name, 'data', 'runtimes still see it');
      assert.deepEqual(await store.deletions.pending('local'), []);
    });
  });
});

describe('migration 0010-template-document', () => {
  it('moves each template of services and revisions into one document that reads back as it was written, GPUs or none', async () => {
    const containers = [{ name: 'web', image: 'nginx:2', workingDir: '', command: [], args: ['-g'], volumeMounts: [], configs: [], envs: [{ type: '', name: 'A', value: '1' }] }];
    const gpuSpec = { type: 'nvidia-t4', number: 1 };
    await afterMigrating('0009-deletions', async (old) => {
      const app = await old.insertInto('apps').values({ region: 'local', project: 'proj', name: 'shop', created_at: NOW }).returning('id').executeTakeFirstOrThrow();
      const service = await old.insertInto('services').values({
        app_id: app.id, uid: 'uid-1', name: 'web', type: 'stateless', resource_spec: '2U4G', containers: JSON.stringify(containers), gpu_spec: JSON.stringify(gpuSpec),
        instance_number: 2, stopped: 0, ports: '[]', revision: 2, template_hash: 'h2', created_at: NOW, updated_at: NOW,
      }).returning('id').executeTakeFirstOrThrow();
      await old.insertInto('revisions').values([
        { service_id: service.id, revision: 1, resource_spec: '1U1G', containers: '[]', gpu_spec: null, template_hash: 'h1', created_at: NOW },
        { service_id: service.id, revision: 2, resource_spec: '2U4G', containers: JSON.stringify(containers), gpu_spec: JSON.stringify(gpuSpec), template_hash: 'h2', created_at: NOW },
      ]).execute();
    }, async (store) => {
      const key = { region: 'local', project: 'proj', app: 'shop', service: 'web' };
      const state = await store.findDesired(key);
      assert.deepEqual([state?.resourceSpec, state?.containers, state?.gpuSpec, state?.templateHash], ['2U4G', containers, gpuSpec, 'h2']);
      const revisions = await store.listRevisions(key);
      assert.deepEqual(revisions.map(({ revision, resourceSpec, containers: kept, templateHash, ...rest }) => [revision, resourceSpec, kept, 'gpuSpec' in rest ? rest.gpuSpec : 'none', templateHash]), [
        [1, '1U1G', [], 'none', 'h1'],
        [2, '2U4G', containers, gpuSpec, 'h2'],
      ]);
    });
  });
});
