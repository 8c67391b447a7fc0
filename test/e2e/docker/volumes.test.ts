import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apiPaths, assertError } from '../../support/api.js';
import { docker, dockerExec, dockerRegion, dockerSuiteSkip, eventually, IMAGES, projectContainers, useDockerWharf } from '../../support/docker.js';

const REGION = 'dkr-volumes';
const PROJECT = 'vols';
const paths = apiPaths(REGION, PROJECT);
const DB = paths.service('store', 'db');
const skip = await dockerSuiteSkip();

const containers = (version: string) => [
  {
    name: 'writer',
    image: IMAGES.app1,
    command: ['sleep'],
    args: ['infinity'],
    envs: [{ name: 'VERSION', value: version }],
    volumeMounts: [{ volumeName: 'data', mountPath: '/data', readOnly: false }],
  },
  // readOnly is left out: the seed's default is read-only.
  { name: 'reader', image: IMAGES.app1, command: ['sleep'], args: ['infinity'], volumeMounts: [{ volumeName: 'data', mountPath: '/data' }] },
];
const statefulDb = { name: 'db', type: 'stateful', resourceSpec: '1U1G', containers: containers('1') };

// The default type (Docker's local driver) first, then one whose driver the engine lacks.
const storageTypes = [...dockerRegion(REGION).storageTypes, { type: 'broken', desc: '', iops: '', fsType: 'ext4' as const, docker: { driver: 'no-such-driver' } }];

describe('Docker runtime: stateful volumes', { skip }, () => {
  const wharf = useDockerWharf(REGION, PROJECT, { volumes: true, settings: { storageTypes } });

  const running = (extra: (s: any) => boolean = () => true) =>
    wharf().waitForService(DB, (s) => s.status.phase === 'running' && s.pods.length === 1 && extra(s), 30_000);
  const container = (name: string) => `wharf_${REGION}_${PROJECT}_store-db-0_${name}`;
  const readFile = () => dockerExec(container('reader'), ['cat', '/data/file']).trim();

  it('keeps a file through upgrade, stop/start and delete + re-create', async () => {
    assert.equal((await wharf().request('POST', paths.apps, { name: 'store', microservices: [statefulDb] })).status, 201);
    await running();
    dockerExec(container('writer'), ['sh', '-c', 'echo kept > /data/file']);
    assert.equal(readFile(), 'kept');
    assert.throws(() => dockerExec(container('reader'), ['sh', '-c', 'echo no > /data/other']), 'the read-only mount refuses writes');

    const volume = await docker.getVolume(`wharf_${REGION}_${PROJECT}_data`).inspect();
    assert.equal(volume.Labels['io.wharf.project'], PROJECT);

    assert.equal((await wharf().request('PUT', `${DB}/upgrade`, { containers: containers('2') })).status, 200);
    await running((s) => s.revision === 2 && s.status.updated === 1);
    assert.equal(readFile(), 'kept', 'after the upgrade');

    assert.equal((await wharf().request('PUT', `${DB}/stop`)).status, 204);
    await wharf().waitForService(DB, (s) => s.status.phase === 'stopped', 30_000);
    assert.equal((await wharf().request('PUT', `${DB}/start`)).status, 204);
    await running();
    assert.equal(readFile(), 'kept', 'after stop and start');

    assert.equal((await wharf().request('DELETE', DB)).status, 204);
    await docker.getVolume(`wharf_${REGION}_${PROJECT}_data`).inspect(); // deleting the service keeps the volume
    assert.equal((await wharf().request('POST', paths.services('store'), statefulDb)).status, 201);
    await running();
    assert.equal(readFile(), 'kept', 'after deleting and re-creating the service');
  });

  it('lets another service mount the data after the first is deleted; refuses to delete the volume while mounted', async () => {
    assertError(await wharf().request('DELETE', paths.volume('data')), 409, 'VolumeInUse', 'store/db');
    assert.equal((await wharf().request('DELETE', DB)).status, 204);
    const other = { ...statefulDb, name: 'replica', containers: [containers('1')[1]] };
    assert.equal((await wharf().request('POST', paths.services('store'), other)).status, 201);
    await wharf().waitForService(paths.service('store', 'replica'), (s) => s.status.phase === 'running', 30_000);
    const replica = `wharf_${REGION}_${PROJECT}_store-replica-0_reader`;
    assert.equal(dockerExec(replica, ['cat', '/data/file']).trim(), 'kept', 'a new service mounting the volume sees the data');
    assertError(await wharf().request('DELETE', paths.volume('data')), 409, 'VolumeInUse', 'store/replica');
    await docker.getVolume(`wharf_${REGION}_${PROJECT}_data`).inspect();
  });

  it('removes the Docker volume when the volume is deleted through the API: 202, deleting, then gone', async () => {
    assert.equal((await wharf().request('DELETE', paths.service('store', 'replica'))).status, 204);
    await eventually('the replica\'s containers to be gone', async () => ((await projectContainers(REGION, PROJECT)).length === 0 ? true : undefined));
    const accepted = await wharf().request('DELETE', paths.volume('data'));
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    assert.equal(accepted.body.status, 'deleting');
    await goneEventually('data');
    await assert.rejects(docker.getVolume(`wharf_${REGION}_${PROJECT}_data`).inspect(), 'the named volume is gone');
  });

  it('retries a deletion the engine refuses because a container still holds the volume, showing why, until it is free', async () => {
    assert.equal((await wharf().request('POST', paths.volumes, { name: 'held', size: 1 })).status, 201);
    const name = `wharf_${REGION}_${PROJECT}_held`;
    await eventually('the volume to be made', async () => ((await wharf().request('GET', paths.volume('held'))).body.status === 'success' ? true : undefined));
    // A container that is not Wharf's holds it: Docker refuses to remove a volume any container refers to.
    const holder = await docker.createContainer({ Image: IMAGES.app1, Cmd: ['sleep', 'infinity'], HostConfig: { Binds: [`${name}:/v`] } });
    try {
      assert.equal((await wharf().request('DELETE', paths.volume('held'))).status, 202);
      const refused = await eventually('the engine\'s refusal to show', async () => {
        const { body } = await wharf().request('GET', paths.volume('held'));
        return body.statusMessage === '' ? undefined : body;
      });
      assert.equal(refused.status, 'deleting');
      assert.match(refused.statusMessage, /still held by a container/);
      await docker.getVolume(name).inspect();
    } finally {
      await holder.remove({ force: true });
    }
    await goneEventually('held');
    await assert.rejects(docker.getVolume(name).inspect(), 'removed once nothing held it');
  });

  it('makes a volume on the engine when the API creates it, before anything mounts it: creating, then success', async () => {
    const created = await wharf().request('POST', paths.volumes, { name: 'early', size: 1 });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual([created.body.storageType, created.body.fsType], ['local', 'ext4']);
    await eventually('the volume to be made', async () => ((await wharf().request('GET', paths.volume('early'))).body.status === 'success' ? true : undefined));
    const made = await docker.getVolume(`wharf_${REGION}_${PROJECT}_early`).inspect();
    assert.deepEqual([made.Driver, made.Labels['io.wharf.volume']], ['local', 'early']);
    assert.equal((await wharf().request('DELETE', paths.volume('early'))).status, 202);
    await goneEventually('early');
  });

  it('reports a volume whose storage type\'s driver the engine lacks as error, with the engine\'s reason', async () => {
    assert.equal((await wharf().request('POST', paths.volumes, { name: 'nodriver', size: 1, storageType: 'broken' })).status, 201);
    const volume = await eventually('the engine to refuse', async () => {
      const { body } = await wharf().request('GET', paths.volume('nodriver'));
      return body.status === 'error' ? body : undefined;
    });
    assert.match(volume.statusMessage, /no-such-driver/);
    assert.equal((await wharf().request('DELETE', paths.volume('nodriver'))).status, 202);
    await goneEventually('nodriver');
  });

  /** The volume answers 404 once the controller has removed it from the engine. */
  async function goneEventually(volume: string): Promise<void> {
    await eventually(`volume ${volume} to be gone`, async () => ((await wharf().request('GET', paths.volume(volume))).status === 404 ? true : undefined));
  }
});
