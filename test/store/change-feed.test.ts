import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import type { ProjectResourceKey } from '../../src/domain/deletion.js';
import { keyString, type ServiceKey } from '../../src/domain/keys.js';
import type { ServiceCreate } from '../../src/model/service.js';
import { createService, upgradeService, type ServiceChange } from '../../src/domain/service.js';
import { STORE_TEST_POLICY as POLICY } from '../domain/fixtures.js';
import type { Database } from '../../src/store/database.js';
import { openTestDatabase } from '../support/database.js';
import { migrateToLatest } from '../../src/store/migrations.js';
import { Store } from '../../src/store/store.js';

const NOW = '2026-01-01T00:00:00.000Z';
const ref = { region: 'local', project: 'feed', app: 'shop' };
const key = (service: string, app = ref.app): ServiceKey => ({ ...ref, app, service });

function service(name: string, containers: ServiceCreate['containers'] = [{ image: 'nginx:1' }], app = ref.app): ServiceChange {
  return createService(key(name, app), { name, type: 'stateless', resourceSpec: '1U1G', containers }, POLICY, { uid: `uid-${name}`, now: NOW });
}

describe("the store's change feed", () => {
  let dataDir: string;
  let db: Kysely<Database>;
  let store: Store;
  let drop: () => Promise<void>;
  const fed: string[][] = [];
  const resourcesFed: ProjectResourceKey[][] = [];
  /** What the feed carried during `work`. */
  const feedOf = async (work: () => Promise<unknown>): Promise<string[][]> => {
    fed.length = 0;
    resourcesFed.length = 0;
    await work();
    return fed.map((keys) => keys.sort());
  };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-feed-'));
    ({ db, drop } = await openTestDatabase(dataDir));
    await migrateToLatest(db);
    store = new Store(db, { volumeDefaults: () => ({ sizeGi: 10, storage: { storageType: 'local', fsType: 'ext4' } }) });
    store.onCommit((keys, resources) => {
      fed.push(keys.map(keyString));
      resourcesFed.push(resources);
    });
  });
  after(async () => {
    await store.close();
    await drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('carries every service a committed write created, changed or deleted, once the write is committed', async () => {
    assert.deepEqual(await feedOf(() => store.createApp(ref, NOW, [service('web'), service('db')])), [[keyString(key('db')), keyString(key('web'))]]);
    assert.deepEqual(await feedOf(() => store.createService(ref, service('api'))), [[keyString(key('api'))]]);
    const upgrade = store.updateService(key('web'), 10, (current) => upgradeService(current, { containers: [{ name: 'container-0', image: 'nginx:2' }] }, POLICY, NOW));
    assert.deepEqual(await feedOf(() => upgrade), [[keyString(key('web'))]]);
    assert.deepEqual(await feedOf(() => store.deleteService(key('api'))), [[keyString(key('api'))]]);
    assert.deepEqual(await feedOf(() => store.deleteApp(ref)), [[keyString(key('db')), keyString(key('web'))]]);
  });

  it('carries the services that read a ConfigMap when it is created or its data changes, not when the same data comes again', async () => {
    const reader = service('reader', [{ image: 'nginx:1', envs: [{ type: 'configMap', name: 'MODE', value: 'settings.mode' }] }], 'cfg');
    await store.createApp({ ...ref, app: 'cfg' }, NOW, [reader]);
    const readerKey = keyString(reader.state.key);
    const configMap = { region: ref.region, project: ref.project, name: 'settings' };
    assert.deepEqual(await feedOf(() => store.configMaps.create(configMap, { mode: 'a' }, NOW)), [[readerKey]]);
    assert.deepEqual(await feedOf(() => store.configMaps.update(configMap, { mode: 'b' }, NOW)), [[readerKey]]);
    assert.deepEqual(await feedOf(() => store.configMaps.update(configMap, { mode: 'b' }, NOW)), []);
  });

  it('carries the ConfigMap or volume a DELETE marked deleting, once; nothing for a DELETE refused or repeated', async () => {
    const volume = { region: ref.region, project: ref.project, name: 'scratch' };
    await store.volumes.create(volume, 1, { storageType: 'local', fsType: 'ext4' }, NOW);
    assert.deepEqual(await feedOf(() => store.volumes.delete(volume, NOW)), [[]]);
    assert.deepEqual(resourcesFed, [[{ kind: 'volume', ...volume }]]);
    await feedOf(() => store.volumes.delete(volume, NOW));
    assert.deepEqual(resourcesFed, [], 'a DELETE of a volume being deleted changes nothing');

    const configMap = { region: ref.region, project: ref.project, name: 'settings' };
    await feedOf(() => store.configMaps.delete(configMap, NOW).catch(() => undefined));
    assert.deepEqual(resourcesFed, [], 'refused: cfg/reader reads it');
    await store.deleteApp({ ...ref, app: 'cfg' });
    await feedOf(() => store.configMaps.delete(configMap, NOW));
    assert.deepEqual(resourcesFed, [[{ kind: 'configMap', ...configMap }]]);
  });

  it('carries nothing of a write that was refused and rolled back', async () => {
    await store.createApp({ ...ref, app: 'again' }, NOW, []);
    const duplicate = store.createApp({ ...ref, app: 'again' }, NOW, [service('x', undefined, 'again')]);
    assert.deepEqual(await feedOf(() => duplicate.catch(() => undefined)), []);
    await assert.rejects(store.createApp({ ...ref, app: 'again' }, NOW, []), /already exists/);
  });
});
