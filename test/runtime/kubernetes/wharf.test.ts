import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiPaths } from '../../support/api.js';
import { KubeApiServer } from '../../support/kube-api-server.js';
import { eventuallyAsync, kubernetesLifecycleScenarios, startKubernetesWharf, writeKubeconfig } from '../../support/kubernetes-scenarios.js';
import type { TestWharf } from '../../support/wharf.js';

// Wharf's API, store, controller and Kubernetes driver against the test API server, whose
// controllers and kubelet are simulated: what runs end to end here, short of a real cluster.

let server: KubeApiServer;
let stopControllers: () => void;
before(async () => {
  server = await KubeApiServer.start();
  stopControllers = server.simulateControllers();
});
after(async () => {
  stopControllers();
  await server.close();
});

kubernetesLifecycleScenarios('Wharf on the test API server: the end-to-end scenarios', async () => ({
  kubeconfig: writeKubeconfig(server.kubeconfigYaml()),
  namespacePrefix: 'wharf-',
  cluster: { get: async (resource, namespace, name) => server.get(resource, namespace, name) },
  image: 'registry.k8s.io/pause:3.10',
  timeoutMs: 5000,
}));

describe('Wharf on the test API server: failures', () => {
  const paths = apiPaths('local', 'faults');
  let wharf: TestWharf;
  before(async () => {
    wharf = await startKubernetesWharf(writeKubeconfig(server.kubeconfigYaml()), 'wharf-');
  });
  after(() => wharf.stop());

  const web = { name: 'web', type: 'stateless', resourceSpec: '1U1G', instanceNumber: 2, containers: [{ name: 'main', image: 'nginx:1.27' }] };
  const running = (count: number) => wharf.waitForService(paths.service('shop', 'web'), (s) => s.status.phase === 'running' && s.pods.length === count);

  it('the controller retries an apply answered 409 then 500, and the service runs', async () => {
    server.failNext({ verb: 'patch', resource: 'deployments' }, 409);
    server.failNext({ verb: 'patch', resource: 'deployments' }, 500);
    assert.equal((await wharf.request('POST', paths.apps, { name: 'shop', microservices: [web] })).status, 201);
    await running(2);
    const applies = server.requests.filter((request) => request.verb === 'patch' && request.resource === 'deployments' && request.namespace === 'wharf-faults');
    assert.ok(applies.length >= 3, `three applies at least (two failed), saw ${applies.length}`);
  });

  it('a scale answered 500 is retried', async () => {
    server.failNext({ verb: 'patch', resource: 'deployments/scale' }, 500, 2);
    assert.equal((await wharf.request('PUT', paths.action('shop', 'web', 'scale/3'))).status, 204);
    await running(3);
  });

  it('while the API server is unreachable the phase is unknown; then running again', async () => {
    await server.stop();
    await wharf.waitForService(paths.service('shop', 'web'), (s) => s.status.phase === 'unknown');
    await server.restart();
    await running(3);
  });

  it('a volume deleted while the API server is away gets 503 RuntimeUnavailable and stays', async () => {
    assert.equal((await wharf.request('POST', paths.volumes, { name: 'keep', size: 1 })).status, 201);
    await server.stop();
    const refused = await wharf.request('DELETE', paths.volume('keep'));
    assert.equal(refused.status, 503, JSON.stringify(refused.body));
    assert.equal(refused.body.error, 'RuntimeUnavailable');
    assert.match(refused.body.message, /did not answer/);
    await server.restart();
    assert.equal((await wharf.request('GET', paths.volume('keep'))).status, 200, 'the volume is still there');
    assert.equal((await wharf.request('DELETE', paths.volume('keep'))).status, 204);
  });

  it('a service deleted while the API server was away is deleted once it is back', async () => {
    await server.stop();
    assert.equal((await wharf.request('DELETE', paths.service('shop', 'web'))).status, 204, 'the API does not wait on the engine');
    await server.restart();
    await eventuallyAsync(async () => assert.equal(server.get('deployments', 'wharf-faults', 'shop-web'), undefined), 10_000);
  });
});
