import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apiPaths } from '../../support/api.js';
import { docker, dockerSuiteSkip, IMAGES, projectContainers, useDockerWharf } from '../../support/docker.js';

const REGION = 'dkr-stuck';
const PROJECT = 'stuck';
const paths = apiPaths(REGION, PROJECT);
const DB = paths.service('shop', 'db');
const skip = await dockerSuiteSkip();

describe('Docker runtime: a container the engine keeps refusing to start', { skip }, () => {
  const wharf = useDockerWharf(REGION, PROJECT);

  // What a dockerd killed in the middle of a start can leave (issue: "task … already exists"): a
  // container of the pod, created, that no start gets past. Made here with a network that is gone.
  it('is removed and made anew after repeated failed starts, and the pod runs', async () => {
    const db = { name: 'db', type: 'stateful', resourceSpec: '1U1G', containers: [{ name: 'main', image: IMAGES.app1, command: ['sleep'], args: ['infinity'] }] };
    assert.equal((await wharf().request('POST', paths.apps, { name: 'shop', microservices: [db] })).status, 201);
    await wharf().waitForService(DB, (s) => s.status.phase === 'running', 30_000);
    const [sandbox] = (await projectContainers(REGION, PROJECT)).filter((c) => c.Labels['io.wharf.role'] === 'sandbox');
    const { Name, Config } = await docker.getContainer(sandbox!.Id).inspect();

    assert.equal((await wharf().request('PUT', paths.action('shop', 'db', 'stop'))).status, 204);
    await wharf().waitForService(DB, (s) => s.status.phase === 'stopped', 30_000);
    const gone = await docker.createNetwork({ Name: `${REGION}-gone`, Driver: 'bridge' });
    // Without its service label: the stopped service's reconcile would remove it before the start.
    const { 'io.wharf.service': _service, ...labels } = Config.Labels;
    const stale = await docker.createContainer({ name: Name.slice(1), Image: IMAGES.sandbox, Labels: labels, HostConfig: { NetworkMode: `${REGION}-gone` } });
    await gone.remove();

    assert.equal((await wharf().request('PUT', paths.action('shop', 'db', 'start'))).status, 204);
    const running = await wharf().waitForService(DB, (s) => s.status.phase === 'running' && s.pods.length === 1, 60_000);
    assert.equal(running.pods[0].name, 'shop-db-0');
    await assert.rejects(docker.getContainer(stale.id).inspect(), 'the stale container was removed');
  });
});
