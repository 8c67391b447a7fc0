import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apiPaths, assertError } from '../../support/api.js';
import { docker, dockerExec, dockerSuiteSkip, IMAGES, useDockerWharf } from '../../support/docker.js';

const REGION = 'dkr-configmaps';
const PROJECT = 'cms';
const paths = apiPaths(REGION, PROJECT);
const READER = paths.service('conf', 'reader');
const skip = await dockerSuiteSkip();

const reader = {
  name: 'reader',
  type: 'stateless',
  resourceSpec: '1U1G',
  containers: [
    {
      name: 'main',
      image: IMAGES.app1,
      command: ['sleep'],
      args: ['infinity'],
      configs: [{ configMapName: 'settings', mountPath: '/etc/settings' }],
      envs: [{ type: 'configMap', name: 'MODE', value: 'settings.mode' }],
    },
  ],
};

describe('Docker runtime: ConfigMaps', { skip }, () => {
  const wharf = useDockerWharf(REGION, PROJECT);

  const container = (pod: any) => `wharf_${REGION}_${PROJECT}_${pod.name}_main`;
  /** MODE from the env and the mounted file `mode`, as the container sees them. */
  const seen = (pod: any) => dockerExec(container(pod), ['sh', '-c', 'echo "$MODE"; cat /etc/settings/mode']).trim().split('\n');
  const waitingFor = (pattern: RegExp) =>
    wharf().waitForService(READER, (s) => s.pods[0]?.status.reason === 'ConfigMapNotFound' && pattern.test(s.pods[0].status.message), 30_000);

  it('keeps a service waiting until its ConfigMap and key exist, then starts it with the env and file', async () => {
    assert.equal((await wharf().request('POST', paths.apps, { name: 'conf', microservices: [reader] })).status, 201);
    const waiting = await waitingFor(/ConfigMap "settings" does not exist/);
    assert.equal(waiting.status.phase, 'pending');

    // The ConfigMap without the key the env reads: still waiting, now for the key.
    assert.equal((await wharf().request('POST', paths.configMaps, { name: 'settings', data: { other: 'x' } })).status, 201);
    await waitingFor(/has no key "mode"/);

    assert.equal((await wharf().request('PUT', paths.configMap('settings'), { data: { mode: 'one' } })).status, 200);
    const running = await wharf().waitForService(READER, (s) => s.status.phase === 'running' && s.pods.length === 1, 30_000);
    assert.deepEqual(seen(running.pods[0]), ['one', 'one']);
    assert.equal(running.revision, 1);
  });

  it('mounts only the ConfigMap\'s own directory, read-only', async () => {
    const [pod] = (await wharf().request('GET', READER)).body.pods;
    const inspected = await docker.getContainer(container(pod)).inspect();
    const binds = inspected.Mounts.filter((mount) => mount.Type === 'bind');
    assert.equal(binds.length, 1);
    assert.equal(binds[0]!.Destination, '/etc/settings');
    assert.equal(binds[0]!.RW, false);
    assert.match(binds[0]!.Source, new RegExp(`/configmaps/${REGION}/${PROJECT}/settings/[a-z0-9]{10}$`));
    assert.throws(() => dockerExec(container(pod), ['sh', '-c', 'echo changed > /etc/settings/mode']), 'the mount refuses writes');
  });

  it('rolls the pods when the ConfigMap changes, so the new value is live, with no new revision', async () => {
    const [before] = (await wharf().request('GET', READER)).body.pods;
    assert.equal((await wharf().request('PUT', paths.configMap('settings'), { data: { mode: 'two' } })).status, 200);
    const rolled = await wharf().waitForService(
      READER,
      (s) => s.status.phase === 'running' && s.pods.length === 1 && s.pods[0].name !== before.name,
      30_000,
    );
    assert.deepEqual(seen(rolled.pods[0]), ['two', 'two']);
    assert.equal(rolled.revision, 1);
    assert.equal((await wharf().request('GET', paths.revisions('conf', 'reader'))).body.length, 1);
    assertError(await wharf().request('DELETE', paths.configMap('settings')), 409, 'ConfigMapInUse', 'conf/reader');
  });

  it('reads only a ConfigMap\'s own keys: "settings.constructor" waits, it never finds Object\'s', async () => {
    for (const key of ['constructor', '__proto__', 'toString']) {
      const name = `proto-${key.replaceAll('_', '').toLowerCase()}`;
      const body = { ...reader, name, containers: [{ ...reader.containers[0], configs: [], envs: [{ type: 'configMap', name: 'E', value: `settings.${key}` }] }] };
      assert.equal((await wharf().request('POST', paths.services('conf'), body)).status, 201);
      const waiting = await wharf().waitForService(paths.service('conf', name), (s) => s.pods[0]?.status.reason === 'ConfigMapNotFound', 30_000);
      assert.match(waiting.pods[0].status.message, new RegExp(`has no key "${key}"`));
      assert.equal(waiting.status.phase, 'pending');
    }
  });
});
