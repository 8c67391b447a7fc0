import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { apiPaths, assertError, assertInvalid, createApp } from '../support/api.js';
import { startWharf, statefulService, type TestWharf } from '../support/wharf.js';

describe('volumes API', () => {
  let wharf: TestWharf;
  const paths = apiPaths('local', 'vol');
  const other = apiPaths('local', 'othervol');

  before(async () => {
    const [region] = loadConfig({ WHARF_RUNTIME: 'simulated' }).regions;
    wharf = await startWharf({ regions: [{ ...region!, defaultVolumeSizeGi: 7 }] });
  });
  after(async () => wharf.stop());

  it('creates (201), gets and lists a volume', async () => {
    const created = await wharf.request('POST', paths.volumes, { name: 'data', size: 20 });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual({ ...created.body, creationTime: undefined }, {
      name: 'data', projectName: 'vol', size: 20, storageType: 'local', fsType: 'ext4', status: 'success', statusMessage: '', mountedBy: [], creationTime: undefined,
    });
    assert.deepEqual((await wharf.request('GET', paths.volume('data'))).body, created.body);
    assert.deepEqual((await wharf.request('GET', paths.volumes)).body, [created.body]);
  });

  it('refuses a duplicate (409 VolumeExists), answers 404 VolumeNotFound, validates name and size', async () => {
    assertError(await wharf.request('POST', paths.volumes, { name: 'data', size: 1 }), 409, 'VolumeExists', '"data"');
    assertError(await wharf.request('GET', paths.volume('nope')), 404, 'VolumeNotFound', '"nope"');
    assertError(await wharf.request('DELETE', paths.volume('nope')), 404, 'VolumeNotFound', '"nope"');
    assertInvalid(await wharf.request('POST', paths.volumes, { name: 'data', size: 0 }), 'size');
    assertInvalid(await wharf.request('POST', paths.volumes, { name: 'data', size: 1.5 }), 'size');
    assertInvalid(await wharf.request('POST', paths.volumes, { name: 'data', size: '1' }), 'size');
    assertInvalid(await wharf.request('POST', paths.volumes, { name: 'Bad', size: 1 }), 'name');
    assertInvalid(await wharf.request('POST', paths.volumes, { name: 'a'.repeat(65), size: 1 }), 'name');
  });

  it('creates a volume a service mounts before it exists, with the region\'s default size, and shows who mounts it', async () => {
    await createApp(wharf, 'store', [statefulService('db')], paths);
    const volume = (await wharf.request('GET', paths.volume('ceph-name'))).body;
    assert.equal(volume.size, 7);
    assert.deepEqual(volume.mountedBy, [{ appName: 'store', name: 'db' }]);
    assert.deepEqual((await wharf.request('GET', paths.volumes)).body.map((v: any) => v.name), ['ceph-name', 'data']);
  });

  it('refuses to delete a mounted volume (409 VolumeInUse); deleting the service keeps the volume', async () => {
    assertError(await wharf.request('DELETE', paths.volume('ceph-name')), 409, 'VolumeInUse', 'store/db');
    assert.equal((await wharf.request('DELETE', paths.service('store', 'db'))).status, 204);
    const kept = await wharf.request('GET', paths.volume('ceph-name'));
    assert.equal(kept.status, 200);
    assert.deepEqual(kept.body.mountedBy, []);
    assert.equal((await wharf.request('DELETE', paths.volume('ceph-name'))).status, 204);
    assertError(await wharf.request('GET', paths.volume('ceph-name')), 404, 'VolumeNotFound');
  });

  it('keeps volumes inside their project', async () => {
    assertError(await wharf.request('GET', other.volume('data')), 404, 'VolumeNotFound');
    assert.deepEqual((await wharf.request('GET', other.volumes)).body, []);
    assertError(await wharf.request('DELETE', other.volume('data')), 404, 'VolumeNotFound');
    assert.equal((await wharf.request('POST', other.volumes, { name: 'data', size: 3 })).status, 201);
    assert.equal((await wharf.request('GET', paths.volume('data'))).body.size, 20);
    // A service of the other project mounting `data` does not hold this project's `data`.
    await createApp(wharf, 'store', [statefulService('db', { containers: [{ image: 'pg:1', volumeMounts: [{ volumeName: 'data', mountPath: '/d' }] }] })], other);
    assert.deepEqual((await wharf.request('GET', paths.volume('data'))).body.mountedBy, []);
    assert.equal((await wharf.request('DELETE', paths.volume('data'))).status, 204);
  });
});
