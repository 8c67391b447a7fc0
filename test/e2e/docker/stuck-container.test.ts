import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { networkName } from '../../../src/runtime/docker/labels.js';
import { apiPaths } from '../../support/api.js';
import { docker, dockerSuiteSkip, eventually, IMAGES, projectContainers, useDockerWharf } from '../../support/docker.js';

const REGION = 'dkr-stuck';
const PROJECT = 'stuck';
const paths = apiPaths(REGION, PROJECT);
const DB = paths.service('shop', 'db');
const skip = await dockerSuiteSkip();

describe('Docker runtime: a container the engine keeps refusing to start', { skip }, () => {
  const wharf = useDockerWharf(REGION, PROJECT);

  // What creates that raced leave (Docker's duplicate check is not atomic): two networks of the
  // project's name, on which a start by name fails as "ambiguous".
  it('starts the pods on the oldest of two networks of the project\'s name, and removes the other', async () => {
    const name = networkName(REGION, PROJECT);
    const labels = { 'io.wharf.region': REGION, 'io.wharf.project': PROJECT };
    const oldest = await docker.createNetwork({ Name: name, Driver: 'bridge', Labels: labels });
    await docker.createNetwork({ Name: name, Driver: 'bridge', Labels: labels });
    const web = { name: 'web', type: 'stateless', resourceSpec: '1U1G', instanceNumber: 2, containers: [{ name: 'main', image: IMAGES.app1, command: ['sleep'], args: ['infinity'] }] };
    assert.equal((await wharf().request('POST', paths.apps, { name: 'dup', microservices: [web] })).status, 201);
    await wharf().waitForService(paths.service('dup', 'web'), (s) => s.status.phase === 'running' && s.pods.length === 2, 60_000);

    const networks = (await docker.listNetworks({ filters: { name: [name] } })).filter((network) => network.Name === name);
    assert.deepEqual(networks.map((network) => network.Id), [oldest.id], 'one network of the name is left: the oldest');
    const sandboxes = (await projectContainers(REGION, PROJECT)).filter((c) => c.Labels['io.wharf.role'] === 'sandbox');
    for (const sandbox of sandboxes) assert.ok(sandbox.NetworkSettings.Networks[name]?.NetworkID === oldest.id, `${sandbox.Names[0]} is on it`);
    assert.equal((await wharf().request('DELETE', paths.app('dup'))).status, 204);
    await eventually('the app\'s containers to go', async () => ((await projectContainers(REGION, PROJECT)).length === 0 ? true : undefined), 30_000);
  });

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
