import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig, type RegionSettings } from '../../src/config.js';
import { apiPaths, countsOf } from './api.js';
import { startWharf, type TestWharf } from './wharf.js';

/** What a scenario reads from the cluster besides Wharf's API; `undefined` when the object does not exist. */
export interface ClusterView {
  get(resource: 'deployments' | 'statefulsets' | 'services' | 'persistentvolumeclaims', namespace: string, name: string): Promise<any>;
}

export interface ScenarioTarget {
  /** A kubeconfig naming the cluster. */
  kubeconfig: string;
  namespacePrefix: string;
  cluster: ClusterView;
  /** Images that exist for the cluster: pods must start. */
  image: string;
  /** How long a rollout may take. */
  timeoutMs: number;
}

/** A kubeconfig file in a fresh temporary directory. */
export function writeKubeconfig(yaml: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'wharf-kubeconfig-')), 'config');
  writeFileSync(path, yaml);
  return path;
}

/** Wharf with one region, `local`, on the Kubernetes runtime. */
export async function startKubernetesWharf(kubeconfig: string, namespacePrefix: string): Promise<TestWharf> {
  const base = loadConfig({}).regions[0]!;
  const region: RegionSettings = { ...base, runtime: 'kubernetes', kubernetes: { kubeconfig, namespacePrefix } };
  return startWharf({ regions: [region] });
}

/**
 * The end-to-end scenarios of the Kubernetes runtime, through Wharf's HTTP API: the driver tests
 * run them against the test API server (its controllers simulated), `npm run test:e2e:k8s`
 * against a real cluster.
 */
export function kubernetesLifecycleScenarios(name: string, target: () => Promise<ScenarioTarget>, options: { skip?: string | false } = {}): void {
  // The runner counts no test of a skipped suite: a skipped test makes the summary say so.
  if (options.skip) {
    it(name, { skip: options.skip }, () => {});
    return;
  }
  describe(name, () => {
    const project = `e2e${Date.now().toString(36)}`;
    const paths = apiPaths('local', project);
    let env: ScenarioTarget;
    let wharf: TestWharf;
    let namespace: string;

    before(async () => {
      env = await target();
      namespace = `${env.namespacePrefix}${project}`;
      wharf = await startKubernetesWharf(env.kubeconfig, env.namespacePrefix);
    });
    after(async () => {
      if (!wharf) return;
      await wharf.request('DELETE', paths.app('shop'));
      await wharf.stop();
    });

    const service = (app: string, serviceName: string, predicate: (service: any) => boolean) =>
      wharf.waitForService(paths.service(app, serviceName), predicate, env.timeoutMs);
    const runningWith = (count: number, revision: number) => (s: any) =>
      s.status.phase === 'running' && s.pods.length === count && s.pods.every((pod: any) => pod.revision === revision);

    it('creates an app: a Deployment and a StatefulSet, their Service and volume claim; every pod runs', async () => {
      const created = await wharf.request('POST', paths.apps, {
        name: 'shop',
        microservices: [
          { name: 'web', type: 'stateless', resourceSpec: '1U1G', instanceNumber: 2, ports: [{ port: 80, protocol: 'TCP' }], containers: [{ name: 'main', image: env.image }] },
          {
            name: 'db',
            type: 'stateful',
            resourceSpec: '1U1G',
            ports: [{ port: 5432, protocol: 'TCP' }],
            containers: [{ name: 'main', image: env.image, volumeMounts: [{ volumeName: 'shop-data', mountPath: '/data', readOnly: false }] }],
          },
        ],
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));

      const web = await service('shop', 'web', runningWith(2, 1));
      assert.deepEqual(countsOf(web.status), { phase: 'running', desire: 2, current: 2, updated: 2, available: 2, unavailable: 0 });
      for (const pod of web.pods) {
        assert.match(pod.name, /^shop-web-[a-z0-9]+-[a-z0-9]{5}$/);
        const startedAt = pod.containerStatuses[0]?.startedAt;
        assert.ok(!Number.isNaN(Date.parse(startedAt)), `a running container says when it started: ${startedAt}`);
        assert.deepEqual(pod.containerStatuses, [{ name: 'main', state: 'running', reason: '', message: '', ready: true, restartCount: 0, startedAt }]);
      }
      const db = await service('shop', 'db', runningWith(1, 1));
      assert.equal(db.pods[0].name, 'shop-db-0');

      assert.equal((await env.cluster.get('deployments', namespace, 'shop-web'))?.spec.replicas, 2);
      assert.equal((await env.cluster.get('statefulsets', namespace, 'shop-db'))?.spec.replicas, 1);
      assert.equal((await env.cluster.get('services', namespace, 'shop-web'))?.spec.ports[0].port, 80);
      assert.notEqual(await env.cluster.get('persistentvolumeclaims', namespace, 'shop-data'), undefined, 'the volume claim exists');
    });

    it('upgrades: the new template is rolled out by Kubernetes', async () => {
      const upgraded = await wharf.request('PUT', paths.action('shop', 'web', 'upgrade'), {
        containers: [{ name: 'main', image: env.image, envs: [{ name: 'RELEASE', value: '2' }] }],
      });
      assert.equal(upgraded.status, 200, JSON.stringify(upgraded.body));
      assert.equal(upgraded.body.revision, 2);
      await service('shop', 'web', runningWith(2, 2));
      const deployment = await env.cluster.get('deployments', namespace, 'shop-web');
      assert.deepEqual(deployment.spec.template.spec.containers[0].env, [{ name: 'RELEASE', value: '2' }]);
    });

    it('scales, stops and starts', async () => {
      assert.equal((await wharf.request('PUT', paths.action('shop', 'web', 'scale/3'))).status, 204);
      await service('shop', 'web', runningWith(3, 2));
      assert.equal((await wharf.request('PUT', paths.action('shop', 'web', 'stop'))).status, 204);
      const stopped = await service('shop', 'web', (s) => s.status.phase === 'stopped');
      assert.deepEqual(stopped.pods, []);
      assert.equal((await env.cluster.get('deployments', namespace, 'shop-web'))?.spec.replicas, 0);
      assert.equal((await wharf.request('PUT', paths.action('shop', 'web', 'start'))).status, 204);
      await service('shop', 'web', runningWith(3, 2));
    });

    it('rolls back to revision 1 as revision 3', async () => {
      assert.equal((await wharf.request('PUT', paths.rollback('shop', 'web', 1))).status, 204);
      const web = await service('shop', 'web', runningWith(3, 3));
      assert.equal(web.revision, 3);
      assert.equal((await env.cluster.get('deployments', namespace, 'shop-web'))?.spec.template.spec.containers[0].env, undefined);
    });

    it('replaces the ports of the Service', async () => {
      const answer = await wharf.request('PUT', paths.action('shop', 'web', 'ports'), { ports: [{ port: 53, protocol: 'UDP' }, { port: 8080, protocol: 'TCP' }] });
      assert.equal(answer.status, 200);
      await eventuallyAsync(async () => {
        const ports = (await env.cluster.get('services', namespace, 'shop-web'))?.spec.ports.map((port: any) => `${port.port}/${port.protocol}`);
        assert.deepEqual(ports, ['53/UDP', '8080/TCP']);
      }, env.timeoutMs);
    });

    it('deletes the app: workloads and Services go, the volume claim stays', async () => {
      assert.equal((await wharf.request('DELETE', paths.app('shop'))).status, 204);
      await eventuallyAsync(async () => {
        assert.equal(await env.cluster.get('deployments', namespace, 'shop-web'), undefined);
        assert.equal(await env.cluster.get('statefulsets', namespace, 'shop-db'), undefined);
        assert.equal(await env.cluster.get('services', namespace, 'shop-web'), undefined);
      }, env.timeoutMs);
      assert.notEqual(await env.cluster.get('persistentvolumeclaims', namespace, 'shop-data'), undefined, 'data is never deleted as a side effect');
    });
  });
}

export async function eventuallyAsync(check: () => Promise<void>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
