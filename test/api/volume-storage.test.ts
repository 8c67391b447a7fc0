import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Migrator } from 'kysely';
import { loadConfig, type RegionSettings } from '../../src/config.js';
import { dropDatabaseOf, openTestDatabase } from '../support/database.js';
import { migrations } from '../../src/store/migrations.js';
import { apiPaths, assertInvalid, createApp } from '../support/api.js';
import { startWharf, statefulService, type TestWharf } from '../support/wharf.js';

const GO_ZERO_TIME = '0001-01-01T00:00:00Z';
const paths = apiPaths('local', 'store');
const STORAGE_TYPES: RegionSettings['storageTypes'] = [
  { type: 'ssd', desc: 'SSD, three replicas', iops: '3000', fsType: 'ext4', kubernetes: { storageClass: 'fast-ssd' } },
  { type: 'hdd', desc: 'HDD', iops: '500', fsType: 'xfs', docker: { driver: 'local', driverOpts: { type: 'xfs', device: '/dev/sdb1' } } },
];

function simulatedRegion(overrides: Partial<RegionSettings> = {}): RegionSettings {
  return { ...loadConfig({ WHARF_RUNTIME: 'simulated' }).regions[0]!, ...overrides };
}

describe('volume storage types', () => {
  let wharf: TestWharf;
  let projectToken: string;

  before(async () => {
    wharf = await startWharf({ regions: [simulatedRegion({ storageTypes: STORAGE_TYPES })] });
    projectToken = (await wharf.request('POST', '/v1/tokens', { name: 'store', projects: ['store'] })).body.token;
  });
  after(async () => wharf.stop());

  it('GET .../storagetypes lists {type, desc, iops} to a project\'s token, the default first, engine settings left out', async () => {
    const answer = await wharf.request('GET', '/regions/local/v1/storagetypes', undefined, { token: projectToken });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(answer.body, [
      { type: 'ssd', desc: 'SSD, three replicas', iops: '3000' },
      { type: 'hdd', desc: 'HDD', iops: '500' },
    ]);
  });

  it('a create naming no storage gets the first type and its filesystem; the engine\'s status is on the volume', async () => {
    const created = await wharf.request('POST', paths.volumes, { name: 'plain', size: 2 });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual({ ...created.body, creationTime: undefined }, {
      name: 'plain', projectName: 'store', size: 2, storageType: 'ssd', fsType: 'ext4', status: 'success', statusMessage: '', creationTime: undefined, mountedBy: [],
    });
    assert.deepEqual((await wharf.request('GET', paths.volume('plain'))).body, created.body);
    assert.deepEqual((await wharf.request('GET', paths.volumes)).body, [created.body]);
  });

  it('a create naming a type gets it, with the filesystem that type provides', async () => {
    const created = await wharf.request('POST', paths.volumes, { name: 'bulk', size: 100, storageType: 'hdd' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual([created.body.storageType, created.body.fsType], ['hdd', 'xfs']);
    const explicit = await wharf.request('POST', paths.volumes, { name: 'bulk2', size: 1, storageType: 'hdd', fsType: 'xfs' });
    assert.deepEqual([explicit.status, explicit.body.fsType], [201, 'xfs']);
  });

  it('refuses an unknown type (400 naming the types) and a filesystem the type does not provide; nothing is created', async () => {
    const unknown = await wharf.request('POST', paths.volumes, { name: 'nope', size: 1, storageType: 'nvme' });
    assertInvalid(unknown, /storageType "nvme".*ssd, hdd/);
    assert.equal(unknown.body.key, 'storageType');
    const wrongFs = await wharf.request('POST', paths.volumes, { name: 'nope', size: 1, storageType: 'ssd', fsType: 'xfs' });
    assertInvalid(wrongFs, /fsType "xfs".*"ssd".*ext4/);
    assert.equal(wrongFs.body.key, 'fsType');
    assertInvalid(await wharf.request('POST', paths.volumes, { name: 'nope', size: 1, fsType: 'btrfs' }), 'fsType');
    assert.equal((await wharf.request('GET', paths.volume('nope'))).status, 404);
  });

  it('takes the KE SDK\'s create with every field at its zero value (201, the defaults) and ignores output-only fields', async () => {
    const answer = await wharf.api.inject({
      method: 'POST',
      url: paths.volumes,
      headers: { 'x-auth-token': projectToken, 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'sdk', size: 10, status: '', storageType: '', fsType: '', creationTime: GO_ZERO_TIME }),
    });
    assert.equal(answer.statusCode, 201, answer.body);
    assert.equal(answer.headers.warning, undefined, 'every field the SDK sends is known');
    const volume = JSON.parse(answer.body);
    assert.deepEqual([volume.storageType, volume.fsType, volume.status], ['ssd', 'ext4', 'success']);
    assert.notEqual(volume.creationTime, GO_ZERO_TIME, 'the zero time is not taken as the creation time');
    const echoed = await wharf.request('POST', paths.volumes, { name: 'echo', size: 1, status: 'error', statusMessage: 'x', projectName: 'store', mountedBy: [] });
    assert.deepEqual([echoed.status, echoed.body.status, echoed.body.statusMessage], [201, 'success', '']);
  });

  it('a volume created because a service mounts it gets the defaults', async () => {
    await createApp(wharf, 'db', [statefulService('pg')], paths);
    const volume = (await wharf.request('GET', paths.volume('ceph-name'))).body;
    assert.deepEqual([volume.storageType, volume.fsType, volume.status], ['ssd', 'ext4', 'success']);
  });
});

describe('volume storage types: defaults', () => {
  it('a region listing none offers one type for its runtime: on the simulated runtime, one that says so', async () => {
    const wharf = await startWharf();
    try {
      assert.deepEqual((await wharf.request('GET', '/regions/local/v1/storagetypes')).body, [{ type: 'local', desc: 'simulated: no storage exists', iops: '' }]);
      const created = await wharf.request('POST', apiPaths().volumes, { name: 'v', size: 1 });
      assert.deepEqual([created.body.storageType, created.body.fsType], ['local', 'ext4']);
    } finally {
      await wharf.stop();
    }
  });

  it('on Docker the default is the local driver\'s type; the config refuses a type listed twice and a filesystem Wharf does not know', () => {
    assert.deepEqual(loadConfig({ WHARF_RUNTIME: 'docker' }).regions[0]!.storageTypes, [
      { type: 'local', desc: 'Docker local volume driver: a directory on the engine host\'s disk', iops: '', fsType: 'ext4' },
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'wharf-config-'));
    try {
      const configWith = (storageTypes: string): string => {
        const path = join(dir, 'wharf.yaml');
        writeFileSync(path, `regions:\n  - name: r\n    runtime: simulated\n    storageTypes: ${storageTypes}\n`);
        return path;
      };
      assert.throws(() => loadConfig({}, configWith('[{type: ssd}, {type: ssd}]')), /storage type "ssd" twice/);
      assert.throws(() => loadConfig({}, configWith('[{type: ssd, fsType: btrfs}]')), /fsType/);
      assert.deepEqual(loadConfig({}, configWith('[{type: ssd, fsType: xfs}]')).regions[0]!.storageTypes, [{ type: 'ssd', desc: '', iops: '', fsType: 'xfs' }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('migration 0006-volume-storage', () => {
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-migration-'));
  });
  after(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await dropDatabaseOf(dataDir);
  });

  it('gives the volumes of an existing store the region\'s default storage type and ext4', async () => {
    // The database a Wharf started on this data dir opens (startWharf), on either engine.
    const { db } = await openTestDatabase(dataDir);
    const names = Object.keys(migrations).sort();
    const previous = names[names.indexOf('0006-volume-storage') - 1]!;
    const migrated = await new Migrator({ db, provider: { getMigrations: async () => migrations } }).migrateTo(previous);
    assert.equal(migrated.error, undefined);
    // The row as the release before 0006 wrote it: no storage columns yet.
    await db.insertInto('volumes').values({ region: 'local', project: 'store', name: 'old', size_gi: 3, created_at: '2025-01-01T00:00:00.000Z' } as never).execute();
    await db.destroy();

    const wharf = await startWharf({ dataDir, regions: [simulatedRegion({ storageTypes: STORAGE_TYPES })] });
    try {
      const volume = (await wharf.request('GET', paths.volume('old'))).body;
      assert.deepEqual(
        { name: volume.name, size: volume.size, storageType: volume.storageType, fsType: volume.fsType, creationTime: volume.creationTime },
        { name: 'old', size: 3, storageType: 'ssd', fsType: 'ext4', creationTime: '2025-01-01T00:00:00.000Z' },
      );
    } finally {
      await wharf.stop();
    }
  });
});
