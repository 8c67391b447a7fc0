import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { RuntimeUnavailableError, type Runtime } from '../../src/runtime/runtime.js';
import { apiPaths, assertError, assertInvalid, createApp, eventually } from '../support/api.js';
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
    assert.equal((await wharf.request('GET', paths.volume('ceph-name'))).body.status, 'success', 'a refused DELETE marks nothing');
    assert.equal((await wharf.request('DELETE', paths.service('store', 'db'))).status, 204);
    const kept = await wharf.request('GET', paths.volume('ceph-name'));
    assert.equal(kept.status, 200);
    assert.deepEqual(kept.body.mountedBy, []);
    const accepted = await wharf.request('DELETE', paths.volume('ceph-name'));
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    assert.equal(accepted.body.status, 'deleting');
    await goneEventually(paths.volume('ceph-name'));
  });

  it('answers a DELETE with 202 and the volume being deleted, a second DELETE the same; then the volume and its name are gone', async () => {
    assert.equal((await wharf.request('POST', paths.volumes, { name: 'brief', size: 2 })).status, 201);
    const stuck = holdDeletes();
    try {
      const accepted = await wharf.request('DELETE', paths.volume('brief'));
      assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
      assert.deepEqual({ ...accepted.body, creationTime: undefined, deleting: { ...accepted.body.deleting, since: undefined } }, {
        name: 'brief', projectName: 'vol', size: 2, storageType: 'local', fsType: 'ext4', status: 'deleting', statusMessage: '', mountedBy: [],
        creationTime: undefined, deleting: { since: undefined, message: '' },
      });
      assert.ok(Date.parse(accepted.body.deleting.since) > 0, `deleting.since is a time: ${accepted.body.deleting.since}`);
      const again = await wharf.request('DELETE', paths.volume('brief'));
      assert.equal(again.status, 202);
      assert.equal(again.body.deleting.since, accepted.body.deleting.since, 'the deletion under way, not a new one');
      assert.deepEqual((await wharf.request('GET', paths.volume('brief'))).body, accepted.body, 'still readable while deleting');
    } finally {
      stuck.release();
    }
    await goneEventually(paths.volume('brief'));
    assert.equal((await wharf.request('POST', paths.volumes, { name: 'brief', size: 3 })).status, 201, 'the name is free once it is gone');
  });

  it('keeps a volume deleting, with the engine\'s failure, while the engine does not answer: listed, its name taken, not mountable; it goes once the engine answers', async () => {
    assert.equal((await wharf.request('POST', paths.volumes, { name: 'held', size: 1 })).status, 201);
    const engine = failingDeletes();
    try {
      assert.equal((await wharf.request('DELETE', paths.volume('held'))).status, 202);
      const failed = await eventually(() => wharf.request('GET', paths.volume('held')), (answer) => answer.body.statusMessage !== '');
      assert.equal(failed.body.status, 'deleting');
      assert.match(failed.body.statusMessage, /does not answer/);
      assert.equal(failed.body.deleting.message, failed.body.statusMessage);
      const listed = (await wharf.request('GET', paths.volumes)).body.find((volume: any) => volume.name === 'held');
      assert.equal(listed?.status, 'deleting', 'still listed');

      assertError(await wharf.request('POST', paths.volumes, { name: 'held', size: 1 }), 409, 'VolumeExists', /"held" in project "vol" is being deleted/);
      const mount = statefulService('late', { containers: [{ image: 'pg:1', volumeMounts: [{ volumeName: 'held', mountPath: '/d' }] }] });
      const refused = await wharf.request('POST', paths.apps, { name: 'late', microservices: [mount] });
      assertError(refused, 409, 'VolumeExists', /"held" .* is being deleted .*: it cannot be mounted/);
      assert.equal(refused.body.key, 'containers[0].volumeMounts[0].volumeName');
      assertError(await wharf.request('GET', paths.app('late')), 404, 'AppNotFound');
      assert.equal((await wharf.request('DELETE', paths.volume('held'))).status, 202, 'a DELETE while deleting is accepted again');

      const calls = engine.calls.length;
      await eventually(async () => engine.calls.length, (count) => count >= calls + 2);
      assert.ok(engine.calls.every((call) => call === 'vol/held'), `only the volume deleted was asked for: ${engine.calls.join(', ')}`);
      engine.answer();
      await goneEventually(paths.volume('held'));
    } finally {
      engine.restore();
    }
  });

  it('calls no engine inside a write: while the engine holds a deletion, every other write commits at once', async () => {
    assert.equal((await wharf.request('POST', paths.volumes, { name: 'slow', size: 1 })).status, 201);
    const stuck = holdDeletes();
    try {
      assert.equal((await wharf.request('DELETE', paths.volume('slow'))).status, 202);
      await eventually(async () => stuck.calls.length, (count) => count > 0);
      const started = Date.now();
      assert.equal((await wharf.request('POST', paths.volumes, { name: 'fast', size: 1 })).status, 201);
      assert.equal((await wharf.request('POST', paths.configMaps, { name: 'fast', data: {} })).status, 201);
      assert.equal((await wharf.request('POST', paths.apps, { name: 'fast', microservices: [statefulService('db', { containers: [{ image: 'pg:1', volumeMounts: [{ volumeName: 'fast', mountPath: '/d' }] }] })] })).status, 201);
      assert.equal((await wharf.request('DELETE', paths.volume('fast'))).status, 409, 'mounted now');
      const elapsed = Date.now() - started;
      assert.ok(elapsed < 2000, `four writes took ${elapsed} ms while the engine held a deletion`);
      assert.equal((await wharf.request('GET', paths.volume('slow'))).body.status, 'deleting');
    } finally {
      stuck.release();
    }
    await goneEventually(paths.volume('slow'));
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
    assert.equal((await wharf.request('DELETE', paths.volume('data'))).status, 202);
    await goneEventually(paths.volume('data'));
    assert.equal((await wharf.request('GET', other.volume('data'))).body.size, 3, 'the other project\'s volume stays');
  });

  /** Answers 404 VolumeNotFound before long: the controller removed it. */
  async function goneEventually(path: string): Promise<void> {
    const gone = await eventually(() => wharf.request('GET', path), (answer) => answer.status === 404);
    assertError(gone, 404, 'VolumeNotFound');
  }

  /**
   * The simulated runtime keeps no volumes and so has no deleteVolume: this one, set on the
   * instance, holds every deletion until released.
   */
  function holdDeletes(): { calls: string[]; release(): void } {
    const runtime = wharf.simulated as Runtime;
    const calls: string[] = [];
    const waiting: Array<() => void> = [];
    let released = false;
    runtime.deleteVolume = (project, name) => {
      calls.push(`${project}/${name}`);
      return released ? Promise.resolve() : new Promise<void>((resolve) => waiting.push(resolve));
    };
    return {
      calls,
      release: () => {
        released = true;
        waiting.forEach((resolve) => resolve());
        delete runtime.deleteVolume;
      },
    };
  }

  /** A deleteVolume that fails as an engine that does not answer, until `answer`. */
  function failingDeletes(): { calls: string[]; answer(): void; restore(): void } {
    const runtime = wharf.simulated as Runtime;
    const calls: string[] = [];
    let answers = false;
    runtime.deleteVolume = async (project, name) => {
      calls.push(`${project}/${name}`);
      if (!answers) throw new RuntimeUnavailableError('the simulated engine does not answer');
    };
    return { calls, answer: () => (answers = true), restore: () => delete runtime.deleteVolume };
  }
});
