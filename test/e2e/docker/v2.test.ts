import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { networkName } from '../../../src/runtime/docker/labels.js';
import { apiPaths, apiV2Paths } from '../../support/api.js';
import { docker, dockerExec, dockerSuiteSkip, eventually, IMAGES, projectContainers, useDockerWharf } from '../../support/docker.js';

const REGION = 'dkr-v2';
const PROJECT = 'vtwo';
const v1 = apiPaths(REGION, PROJECT);
const v2 = apiV2Paths(REGION, PROJECT);
const skip = await dockerSuiteSkip();

// busybox httpd serving the image's root: GET /VERSION answers the image's version.
const httpd = { name: 'httpd', image: IMAGES.app1, command: ['httpd'], args: ['-f', '-p', '80', '-h', '/'] };
const sleeper = { name: 'main', image: IMAGES.app1, command: ['sleep'], args: ['infinity'] };

describe('Docker runtime: a V2 service', { skip }, () => {
  const wharf = useDockerWharf(REGION, PROJECT);

  it('runs as pods named <service>-…, labelled with an empty app, under the alias <service> alone', async () => {
    const created = await wharf().request('POST', v2.services, {
      name: 'web', type: 'stateless', resourceSpec: '1U1G', ports: [{ port: 80, protocol: 'TCP' }], containers: [httpd],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const service = await wharf().waitForService(v2.service('web'), (s) => s.status.phase === 'running' && s.pods.length === 1, 30_000);
    const [pod] = service.pods;
    assert.match(pod.name, /^web-[a-z0-9]{10}-[a-z0-9]{5}$/);

    const [sandbox] = (await projectContainers(REGION, PROJECT)).filter((c) => c.Labels['io.wharf.pod'] === pod.name && c.Labels['io.wharf.role'] === 'sandbox');
    assert.ok(sandbox, `the sandbox of ${pod.name} exists`);
    assert.equal(sandbox.Labels['io.wharf.app'], '');
    assert.equal(sandbox.Labels['io.wharf.service'], 'web');
    const inspected = await docker.getContainer(sandbox.Id).inspect();
    assert.ok(inspected.NetworkSettings.Networks[networkName(REGION, PROJECT)]?.Aliases?.includes('web'), 'the sandbox answers to "web" on the project network');
  });

  it('is reached by <service> from a pod of a V1 app of the project', async () => {
    assert.equal((await wharf().request('POST', v1.apps, { name: 'shop', microservices: [{ name: 'client', type: 'stateless', resourceSpec: '1U1G', containers: [sleeper] }] })).status, 201);
    const client = await wharf().waitForService(v1.service('shop', 'client'), (s) => s.status.phase === 'running' && s.pods.length === 1, 30_000);
    const main = `wharf_${REGION}_${PROJECT}_${client.pods[0].name}_main`;
    // HTTP by hand over busybox nc: busybox-static's wget crashes resolving in a libc-less image.
    const script = 'printf \'GET /VERSION HTTP/1.0\\r\\n\\r\\n\' | nc -w 2 web 80 | tail -1';
    // The alias may take a moment to answer in Docker's DNS after the pod starts.
    const answer = await eventually('web from the client', async () => {
      try {
        return dockerExec(main, ['sh', '-c', script]).trim() || undefined;
      } catch {
        return undefined;
      }
    }, 10_000);
    assert.equal(answer, '1');
  });

  it('is deleted with its pods', async () => {
    assert.equal((await wharf().request('DELETE', v2.service('web'))).status, 204);
    await eventually('the V2 pods removed', async () => {
      const left = (await projectContainers(REGION, PROJECT)).filter((c) => c.Labels['io.wharf.service'] === 'web');
      return left.length === 0 ? true : undefined;
    });
  });
});
