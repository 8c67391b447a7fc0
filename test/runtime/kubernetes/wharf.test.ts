import assert from 'node:assert/strict';
import { get, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
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

  it('a volume deleted while the API server is away is accepted (202) and shows the failure while deleting; its claim goes once the server is back', async () => {
    const keep = { ...web, name: 'keep', type: 'stateful', instanceNumber: 1, containers: [{ name: 'main', image: 'nginx:1.27', volumeMounts: [{ volumeName: 'keep', mountPath: '/data', readOnly: false }] }] };
    assert.equal((await wharf.request('POST', paths.services('shop'), keep)).status, 201);
    await eventuallyAsync(async () => assert.ok(server.get('persistentvolumeclaims', 'wharf-faults', 'keep'), 'the claim is made with the workload'), 10_000);
    assert.equal((await wharf.request('DELETE', paths.service('shop', 'keep'))).status, 204);

    await server.stop();
    const accepted = await wharf.request('DELETE', paths.volume('keep'));
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    assert.equal(accepted.body.status, 'deleting');
    await eventuallyAsync(async () => {
      const { body } = await wharf.request('GET', paths.volume('keep'));
      assert.equal(body.status, 'deleting');
      assert.match(body.statusMessage, /did not answer/);
    }, 10_000);
    await server.restart();
    await eventuallyAsync(async () => assert.equal((await wharf.request('GET', paths.volume('keep'))).status, 404), 10_000);
    assert.equal(server.get('persistentvolumeclaims', 'wharf-faults', 'keep'), undefined, 'the claim is deleted');
  });

  it('a ConfigMap deleted while the API server is away is accepted (202); its object goes once the server is back', async () => {
    assert.equal((await wharf.request('POST', paths.configMaps, { name: 'settings', data: { mode: 'on' } })).status, 201);
    const reader = { ...web, name: 'reader', instanceNumber: 1, containers: [{ name: 'main', image: 'nginx:1.27', configs: [{ configMapName: 'settings', mountPath: '/etc/settings' }] }] };
    assert.equal((await wharf.request('POST', paths.services('shop'), reader)).status, 201);
    await eventuallyAsync(async () => assert.ok(server.get('configmaps', 'wharf-faults', 'settings'), 'the ConfigMap is applied with its reader'), 10_000);
    assert.equal((await wharf.request('DELETE', paths.service('shop', 'reader'))).status, 204);

    await server.stop();
    assert.equal((await wharf.request('DELETE', paths.configMap('settings'))).status, 202);
    await eventuallyAsync(async () => assert.match((await wharf.request('GET', paths.configMap('settings'))).body.deleting.message, /did not answer/), 10_000);
    await server.restart();
    await eventuallyAsync(async () => assert.equal((await wharf.request('GET', paths.configMap('settings'))).status, 404), 10_000);
    assert.equal(server.get('configmaps', 'wharf-faults', 'settings'), undefined, 'the ConfigMap object is deleted, not left behind');
  });

  it('a service deleted while the API server was away is deleted once it is back', async () => {
    await server.stop();
    assert.equal((await wharf.request('DELETE', paths.service('shop', 'web'))).status, 204, 'the API does not wait on the engine');
    await server.restart();
    await eventuallyAsync(async () => assert.equal(server.get('deployments', 'wharf-faults', 'shop-web'), undefined), 10_000);
  });
});

describe('Wharf on the test API server: logs and stats routes', () => {
  const paths = apiPaths('local', 'reading');
  const WEB = paths.service('shop', 'web');
  const namespace = 'wharf-reading';
  let wharf: TestWharf;
  let pod: string;
  before(async () => {
    wharf = await startKubernetesWharf(writeKubeconfig(server.kubeconfigYaml()), 'wharf-');
    const web = { name: 'web', type: 'stateless', resourceSpec: '1U1G', instanceNumber: 1, containers: [{ name: 'main', image: 'nginx:1.27' }] };
    assert.equal((await wharf.request('POST', paths.apps, { name: 'shop', microservices: [web] })).status, 201);
    pod = (await wharf.waitForService(WEB, (s) => s.status.phase === 'running' && s.pods.length === 1)).pods[0].name;
    server.podLogs.write(namespace, pod, 'main', 'nginx: ready');
  });
  after(() => wharf.stop());

  const text = async (url: string) => {
    const response = await wharf.api.inject({ method: 'GET', url, headers: { 'x-auth-token': wharf.adminToken } });
    return { status: response.statusCode, body: response.body };
  };

  it('a pod\'s log and the service\'s, from pods/log', async () => {
    assert.deepEqual(await text(`${WEB}/pods/${pod}/logs`), { status: 200, body: 'nginx: ready\n' });
    assert.deepEqual(await text(`${WEB}/logs`), { status: 200, body: `[${pod}/main] nginx: ready\n` });
    const previous = await text(`${WEB}/pods/${pod}/logs?previous=true`);
    assert.equal(previous.status, 400);
    assert.match(JSON.parse(previous.body).message, /previous terminated container "main"/);
  });

  it('a followed log streams what the container writes; the client going closes the API server\'s stream', async () => {
    await wharf.api.listen({ port: 0, host: '127.0.0.1' });
    const { port } = wharf.api.server.address() as AddressInfo;
    const request = get(`http://127.0.0.1:${port}${WEB}/pods/${pod}/logs?follow=true&tailLines=0`, { headers: { 'x-auth-token': wharf.adminToken } });
    const response = await new Promise<IncomingMessage>((resolve, reject) => request.once('response', resolve).once('error', reject));
    assert.equal(response.statusCode, 200);
    await eventuallyAsync(async () => assert.equal(server.podLogs.followers(), 1), 5000);
    const line = new Promise<string>((resolve) => response.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    server.podLogs.write(namespace, pod, 'main', 'GET /healthz 200');
    assert.equal(await line, 'GET /healthz 200\n');
    request.destroy();
    await eventuallyAsync(async () => assert.equal(server.podLogs.followers(), 0, 'no follow left open on the API server'), 5000);
  });

  it('stats: the metrics API\'s sample; 501 NotImplemented on a cluster without it', async () => {
    server.podLogs.setMetrics(namespace, pod, [{ name: 'main', cpu: '5m', memory: '20Mi' }]);
    const stats = await wharf.request('GET', `${WEB}/pods/${pod}/stats`);
    assert.equal(stats.status, 200, JSON.stringify(stats.body));
    assert.deepEqual(stats.body.containers, [{ name: 'main', cpu: { usageCores: 0.005 }, memory: { usageBytes: 20 * 1024 * 1024 } }]);
    server.podLogs.metricsServed = false;
    try {
      const absent = await wharf.request('GET', `${WEB}/pods/${pod}/stats`);
      assert.equal(absent.status, 501, JSON.stringify(absent.body));
      assert.equal(absent.body.error, 'NotImplemented');
      assert.match(absent.body.message, /metrics-server/);
    } finally {
      server.podLogs.metricsServed = true;
    }
  });
});
