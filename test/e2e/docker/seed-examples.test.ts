import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apiPaths } from '../../support/api.js';
import { dockerExec, dockerSuiteSkip, IMAGES, useDockerWharf } from '../../support/docker.js';
import { statefulService, statelessService } from '../../support/wharf.js';

const REGION = 'dkr-seed';
const PROJECT = 'project';
const paths = apiPaths(REGION, PROJECT);
const skip = await dockerSuiteSkip();

/**
 * The seed's examples as written, but for what cannot be had here: the image is the local busybox
 * one (nothing can be pulled), and `echo test` is followed by a sleep so the container stays up to
 * be looked into instead of exiting and restarting.
 */
function runnable(example: Record<string, unknown>): Record<string, unknown> {
  const [container] = example.containers as Array<Record<string, unknown>>;
  return { ...example, containers: [{ ...container, image: IMAGES.app1, args: ['-c', 'echo test; exec sleep infinity'] }] };
}

describe('Docker runtime: the seed\'s stateful and stateless examples', { skip }, () => {
  const wharf = useDockerWharf(REGION, PROJECT, { volumes: true });

  it('run end to end once ConfigMap cm (key1) exists, with the volume ceph-name', async () => {
    assert.equal((await wharf().request('POST', paths.configMaps, { name: 'cm', data: { key1: 'value1' } })).status, 201);
    const created = await wharf().request('POST', paths.apps, {
      name: 'app0',
      microservices: [runnable(statelessService('service0')), runnable(statefulService('service1'))],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));

    for (const name of ['service0', 'service1']) {
      const service = await wharf().waitForService(paths.service('app0', name), (s) => s.status.phase === 'running', 30_000);
      const container = `wharf_${REGION}_${PROJECT}_${service.pods[0].name}_container-0`;
      const seen = dockerExec(container, ['sh', '-c', 'pwd; echo "$ENV1 $ENV2"; cat /mnt/conf/key1']).trim().split('\n');
      assert.deepEqual(seen, ['/workingdir', 'value1 test', 'value1'], `${name} sees its workingDir, envs and ConfigMap file`);
    }
    const stateful = (await wharf().request('GET', paths.service('app0', 'service1'))).body;
    const container = `wharf_${REGION}_${PROJECT}_${stateful.pods[0].name}_container-0`;
    dockerExec(container, ['sh', '-c', 'echo kept > /mnt/test/file']);
    assert.equal(dockerExec(container, ['cat', '/mnt/test/file']).trim(), 'kept', 'ceph-name is mounted read-write, as the seed asks');
    const volume = (await wharf().request('GET', paths.volume('ceph-name'))).body;
    assert.deepEqual(volume.mountedBy, [{ appName: 'app0', name: 'service1' }], 'created on first use, listed with who mounts it');
  });
});
