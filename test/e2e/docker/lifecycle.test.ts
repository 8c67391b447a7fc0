import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { apiPaths } from '../../support/api.js';
import { docker, dockerSuiteSkip, IMAGES, projectContainers, useDockerWharf } from '../../support/docker.js';

const REGION = 'dkr-lifecycle';
const PROJECT = 'life';
const paths = apiPaths(REGION, PROJECT);
const WEB = paths.service('shop', 'web');
const skip = await dockerSuiteSkip();

const httpd = (image: string) => [{ name: 'httpd', image, command: ['httpd'], args: ['-f', '-p', '80', '-h', '/'] }];

/** Pods whose sandbox and containers all run, as the engine itself says, with their images. */
async function runningPods(): Promise<Map<string, string>> {
  const listed = await docker.listContainers({ filters: { label: [`io.wharf.region=${REGION}`, 'io.wharf.service=web'] } });
  const pods = new Map<string, string>();
  for (const container of listed) {
    if (container.Labels['io.wharf.role'] !== 'container') continue;
    const pod = container.Labels['io.wharf.pod']!;
    if (listed.some((c) => c.Labels['io.wharf.pod'] === pod && c.Labels['io.wharf.role'] === 'sandbox')) pods.set(pod, container.Image);
  }
  return pods;
}

describe('Docker runtime: stop, start, scale, upgrade, rollback', { skip }, () => {
  const wharf = useDockerWharf(REGION, PROJECT);
  before(async () => {
    const created = await wharf().request('POST', paths.apps, {
      name: 'shop',
      microservices: [{ name: 'web', type: 'stateless', resourceSpec: '1U1G', instanceNumber: 2, containers: httpd(IMAGES.app1) }],
    });
    assert.equal(created.status, 201);
  });

  const settled = (count: number, extra: (s: any) => boolean = () => true) =>
    wharf().waitForService(WEB, (s) => s.status.phase === 'running' && s.pods.length === count && extra(s), 30_000);

  it('stop leaves no container; start brings them back', async () => {
    await settled(2);
    assert.equal((await wharf().request('PUT', `${WEB}/stop`)).status, 204);
    await wharf().waitForService(WEB, (s) => s.status.phase === 'stopped', 30_000);
    assert.deepEqual(await projectContainers(REGION, PROJECT), []);

    assert.equal((await wharf().request('PUT', `${WEB}/start`)).status, 204);
    await settled(2);
    assert.equal((await runningPods()).size, 2);
  });

  it('scales 2 -> 4 -> 1', async () => {
    assert.equal((await wharf().request('PUT', `${WEB}/scale/4`)).status, 204);
    await settled(4);
    assert.equal((await runningPods()).size, 4);
    assert.equal((await wharf().request('PUT', `${WEB}/scale/1`)).status, 204);
    await settled(1);
    assert.equal((await projectContainers(REGION, PROJECT)).length, 2, 'one sandbox and one container left');
  });

  it('upgrades one pod at a time, never below instanceNumber running pods, and rolls back', async () => {
    assert.equal((await wharf().request('PUT', `${WEB}/scale/3`)).status, 204);
    await settled(3);

    // Sample the engine while the rollout runs: how many pods run, how many exist at most; and the
    // API: how many are there besides those terminating (a replaced pod stopping counts no more).
    let sampling = true;
    let fewest = Infinity;
    let most = 0;
    let mostStaying = 0;
    const sampler = (async () => {
      while (sampling) {
        const pods = await runningPods();
        fewest = Math.min(fewest, pods.size);
        const all = new Set((await projectContainers(REGION, PROJECT)).map((c) => c.Labels['io.wharf.pod']));
        most = Math.max(most, all.size);
        const listed = (await wharf().request('GET', WEB)).body.pods as Array<{ status: { phase: string } }>;
        mostStaying = Math.max(mostStaying, listed.filter((pod) => pod.status.phase !== 'terminating').length);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const upgraded = await wharf().request('PUT', `${WEB}/upgrade`, { containers: httpd(IMAGES.app2) });
    assert.equal(upgraded.status, 200);
    await settled(3, (s) => s.revision === 2 && s.status.updated === 3);
    sampling = false;
    await sampler;
    assert.ok(fewest >= 3, `never fewer than 3 running pods during the rollout (saw ${fewest})`);
    assert.ok(mostStaying <= 4, `surge of one pod at most (saw ${mostStaying} pods, terminating ones aside)`);
    assert.ok(most <= 5, `one surged pod and one stopping at most on the engine (saw ${most} pods)`);
    assert.deepEqual([...(await runningPods()).values()], [IMAGES.app2, IMAGES.app2, IMAGES.app2]);

    assert.equal((await wharf().request('PUT', `${WEB}/revisions/1/rollback`)).status, 204);
    await settled(3, (s) => s.revision === 3 && s.status.updated === 3);
    assert.deepEqual([...(await runningPods()).values()], [IMAGES.app1, IMAGES.app1, IMAGES.app1]);
    assert.equal((await projectContainers(REGION, PROJECT)).length, 6, 'no old pod is left');
  });
});
