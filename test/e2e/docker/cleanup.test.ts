import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { apiPaths } from '../../support/api.js';
import { docker, dockerSuiteSkip, eventually, IMAGES, useDockerWharf } from '../../support/docker.js';
import { networkName } from '../../../src/runtime/docker/labels.js';

const REGION = 'dkr-cleanup';
const PROJECT = 'tidy';
const paths = apiPaths(REGION, PROJECT);
const skip = await dockerSuiteSkip();

describe('Docker runtime: an emptied project leaves nothing on the engine', { skip }, () => {
  const wharf = useDockerWharf(REGION, PROJECT);
  const network = networkName(REGION, PROJECT);
  const networkExists = async () => (await docker.listNetworks({ filters: { name: [network] } })).some((one) => one.Name === network);

  it('removes the project network with the last pod, and the ConfigMap directory with the last ConfigMap', async () => {
    assert.equal((await wharf().request('POST', paths.configMaps, { name: 'settings', data: { mode: 'on' } })).status, 201);
    const reader = {
      name: 'reader',
      type: 'stateless',
      resourceSpec: '1U1G',
      containers: [{ name: 'main', image: IMAGES.app1, command: ['sleep'], args: ['infinity'], configs: [{ configMapName: 'settings', mountPath: '/etc/settings' }] }],
    };
    assert.equal((await wharf().request('POST', paths.apps, { name: 'shop', microservices: [reader] })).status, 201);
    await wharf().waitForService(paths.service('shop', 'reader'), (s) => s.status.phase === 'running', 30_000);
    assert.ok(await networkExists(), 'the project network exists while a pod runs');
    const projectDir = join(wharf().dataDir, 'configmaps', REGION, PROJECT);
    assert.ok(existsSync(join(projectDir, 'settings')), 'the ConfigMap files are written for the pod');

    assert.equal((await wharf().request('DELETE', paths.app('shop'))).status, 204);
    await eventually('the project network to be removed', async () => ((await networkExists()) ? undefined : true));
    assert.equal((await wharf().request('DELETE', paths.configMap('settings'))).status, 202);
    await eventually('the ConfigMap to be deleted', async () => ((await wharf().request('GET', paths.configMap('settings'))).status === 404 ? true : undefined));
    assert.equal(existsSync(projectDir), false, 'the project\'s ConfigMap directory is gone with its last ConfigMap');
  });
});
