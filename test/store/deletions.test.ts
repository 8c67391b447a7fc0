import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ServiceCreate } from '../../src/model/service.js';
import { podTemplateHash } from '../../src/domain/configmaps.js';
import { WharfError } from '../../src/domain/errors.js';
import { createService, upgradeService, type ServiceChange } from '../../src/domain/service.js';
import { STORE_TEST_POLICY as POLICY } from '../domain/fixtures.js';
import { openTestDatabase } from '../support/database.js';
import { migrateToLatest } from '../../src/store/migrations.js';
import { Store } from '../../src/store/store.js';

const NOW = '2026-01-01T00:00:00.000Z';
const LATER = '2026-01-01T00:01:00.000Z';
const app = { region: 'local', project: 'gone', app: 'shop' };
const ref = (name: string) => ({ region: 'local', project: 'gone', name });
const STORAGE = { storageType: 'local', fsType: 'ext4' as const };

function stateful(name: string, containers: ServiceCreate['containers']): ServiceChange {
  return createService({ ...app, service: name }, { name, type: 'stateful', resourceSpec: '1U1G', containers }, POLICY, { uid: `uid-${name}`, now: NOW });
}

/** What a call was refused with. */
async function refusal(call: Promise<unknown>): Promise<WharfError> {
  const error = await call.then(() => undefined, (caught: unknown) => caught);
  assert.ok(error instanceof WharfError, `refused with a WharfError, got ${String(error)}`);
  return error;
}

describe('ConfigMaps and volumes being deleted, in the store', () => {
  let dataDir: string;
  let store: Store;
  let drop: () => Promise<void>;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-deleting-'));
    const opened = await openTestDatabase(dataDir);
    const db = opened.db;
    drop = opened.drop;
    await migrateToLatest(db);
    store = new Store(db, { volumeDefaults: () => ({ sizeGi: 10, storage: STORAGE }) });
    await store.createApp(app, NOW, []);
  });
  after(async () => {
    await store.close();
    await drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('marks a volume deleting and answers it as it is; a second DELETE keeps the first time', async () => {
    await store.volumes.create(ref('data'), 5, STORAGE, NOW);
    const marked = await store.volumes.delete(ref('data'), NOW);
    assert.deepEqual(marked.volume.deleting, { since: NOW, message: '' });
    assert.deepEqual((await store.volumes.delete(ref('data'), LATER)).volume.deleting, { since: NOW, message: '' });
    assert.deepEqual((await store.volumes.get(ref('data'))).volume.deleting, { since: NOW, message: '' });
  });

  it('hides a volume being deleted from the runtimes, so a reconnecting engine does not make it again', async () => {
    await store.volumes.create(ref('live'), 1, STORAGE, NOW);
    assert.equal(await store.volumes.find(ref('data')), undefined);
    assert.deepEqual((await store.volumes.ofRegion('local')).map((volume) => volume.name), ['live']);
  });

  it('keeps the name of a volume being deleted: a create is 409 VolumeExists saying so, and no service may mount it', async () => {
    const exists = await refusal(store.volumes.create(ref('data'), 1, STORAGE, LATER));
    assert.equal(exists.code, 'VolumeExists');
    assert.equal(exists.message, `volume "data" in project "gone" is being deleted (since ${NOW}): its name is free again once the engine no longer has it`);

    const mounting = stateful('db', [{ image: 'pg:1' }, { image: 'pg:1', volumeMounts: [{ volumeName: 'live', mountPath: '/l' }, { volumeName: 'data', mountPath: '/d' }] }]);
    const refused = await refusal(store.createService(app, mounting));
    assert.deepEqual([refused.code, refused.key], ['VolumeExists', 'containers[1].volumeMounts[1].volumeName']);
    assert.match(refused.message, /volume "data" in project "gone" is being deleted .*: it cannot be mounted/);
    assert.deepEqual((await refusal(store.createApp({ ...app, app: 'other' }, NOW, [mounting]))).key, 'containers[1].volumeMounts[1].volumeName');
    await assert.rejects(store.getApp({ ...app, app: 'other' }), /does not exist/, 'the refused app was not created');

    await store.createService(app, stateful('plain', [{ image: 'pg:1', volumeMounts: [{ volumeName: 'live', mountPath: '/l' }] }]));
    const upgrade = store.updateService({ ...app, service: 'plain' }, 10, (current) =>
      upgradeService(current, { containers: [{ name: 'container-0', volumeMounts: [{ volumeName: 'data', mountPath: '/d' }] }] }, POLICY, LATER));
    assert.equal((await refusal(upgrade)).key, 'containers[0].volumeMounts[0].volumeName');
    assert.deepEqual((await store.getService({ ...app, service: 'plain' })).containers[0]?.volumeMounts.map((mount) => mount.volumeName), ['live'], 'unchanged');
  });

  it('makes a ConfigMap being deleted missing to services and runtimes, keeps its name, refuses a change of its data', async () => {
    await store.configMaps.create(ref('cm'), { key: 'value' }, NOW);
    const marked = await store.configMaps.delete(ref('cm'), NOW);
    assert.deepEqual(marked.deleting, { since: NOW, message: '' });
    assert.equal(await store.configMaps.find(ref('cm')), undefined);

    const reader = createService({ ...app, service: 'reader' }, {
      name: 'reader', type: 'stateless', resourceSpec: '1U1G', containers: [{ image: 'nginx:1', envs: [{ type: 'configMap', name: 'K', value: 'cm.key' }] }],
    }, POLICY, { uid: 'uid-reader', now: NOW });
    const desired = await store.createService(app, reader);
    assert.equal(desired.podTemplateHash, podTemplateHash(reader.state, new Map()), 'its pods are those of a service whose ConfigMap does not exist');

    assert.equal((await refusal(store.configMaps.create(ref('cm'), {}, LATER))).code, 'ConfigMapExists');
    const change = await refusal(store.configMaps.update(ref('cm'), { key: 'other' }, LATER));
    assert.equal(change.code, 'ConfigMapExists');
    assert.match(change.message, /is being deleted .*: it cannot change$/);
    assert.deepEqual((await store.configMaps.get(ref('cm'))).data, { key: 'value' });
  });

  it('lists what is pending; records a failure and finishes only what is being deleted', async () => {
    const pending = await store.deletions.pending('local');
    assert.deepEqual(pending.map((key) => `${key.kind} ${key.name}`), ['configMap cm', 'volume data']);
    assert.deepEqual(await store.deletions.pending('elsewhere'), []);

    const live = { kind: 'volume' as const, ...ref('live') };
    await store.deletions.failed(live, 'not being deleted');
    assert.equal(await store.deletions.finish(live), false);
    assert.equal((await store.volumes.get(ref('live'))).volume.deleting, undefined, 'a volume nobody deleted is untouched');

    const data = { kind: 'volume' as const, ...ref('data') };
    await store.deletions.failed(data, 'the engine does not answer');
    assert.deepEqual(await store.deletions.find(data), { since: NOW, message: 'the engine does not answer' });
    assert.equal(await store.deletions.finish(data), true);
    assert.equal(await store.deletions.find(data), undefined);
    await assert.rejects(store.volumes.get(ref('data')), /does not exist/);
    assert.equal((await store.volumes.create(ref('data'), 1, STORAGE, LATER)).volume.deleting, undefined, 'the name is free');
  });
});
