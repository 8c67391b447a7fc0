import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apiPaths, assertError } from '../../support/api.js';
import { docker, dockerExec, dockerSuiteSkip, eventually, IMAGES, projectContainers, useDockerWharf } from '../../support/docker.js';

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

describe('Docker runtime: stateful volumes', { skip }, () => {
  const wharf = useDockerWharf(REGION, PROJECT, { volumes: true });

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

  it('removes the Docker volume when the volume is deleted through the API', async () => {
    assert.equal((await wharf().request('DELETE', paths.service('store', 'replica'))).status, 204);
    await eventually('the replica\'s containers to be gone', async () => ((await projectContainers(REGION, PROJECT)).length === 0 ? true : undefined));
    assert.equal((await wharf().request('DELETE', paths.volume('data'))).status, 204);
    await assert.rejects(docker.getVolume(`wharf_${REGION}_${PROJECT}_data`).inspect(), 'the named volume is gone');
    assert.equal((await wharf().request('GET', paths.volume('data'))).status, 404);
  });
});
