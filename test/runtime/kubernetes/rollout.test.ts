import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { apiPaths } from '../../support/api.js';
import { KubeApiServer, type KubeObject } from '../../support/kube-api-server.js';
import { eventuallyAsync, startKubernetesWharf, writeKubeconfig } from '../../support/kubernetes-scenarios.js';
import type { TestWharf } from '../../support/wharf.js';

// Wharf on the test API server, the test playing the Deployment controller and the kubelet by hand,
// so a rollout can get stuck the way it does on a cluster: new pods that never become ready, and
// the Deployment's Progressing condition turning to ProgressDeadlineExceeded.

const project = 'rollouts';
const namespace = `wharf-${project}`;
const paths = apiPaths('local', project);

describe('Kubernetes rollouts: the Deployment judges its progress deadline', () => {
  let server: KubeApiServer;
  let wharf: TestWharf;
  before(async () => {
    server = await KubeApiServer.start();
    wharf = await startKubernetesWharf(writeKubeconfig(server.kubeconfigYaml()), 'wharf-');
    assert.equal((await wharf.request('POST', paths.apps, { name: 'app0' })).status, 201);
  });
  after(async () => {
    await wharf.stop();
    await server.close();
  });

  const deploymentOf = (service: string): KubeObject | undefined => server.get('deployments', namespace, `app0-${service}`);
  const templateHash = (service: string): string | undefined => deploymentOf(service)?.spec.template.metadata.annotations['wharf.io/template-hash'];
  const watch = (service: string, until: (body: any) => boolean) => wharf.waitForService(paths.service('app0', service), until, 10_000);
  const message = (service: string) => `ReplicaSet "app0-${service}-6b7c9d" has timed out progressing.`;

  /** A new pod of the Deployment's current template that runs but never becomes ready (its readiness probe fails). */
  function stuckPod(service: string): string {
    const template = deploymentOf(service)!.spec.template;
    const name = `app0-${service}-${templateHash(service)}-stuck`;
    server.put('pods', {
      metadata: { name, namespace, labels: template.metadata.labels, annotations: template.metadata.annotations },
      spec: template.spec,
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady' }],
        containerStatuses: [{ name: 'main', ready: false, restartCount: 0, state: { running: { startedAt: new Date().toISOString() } } }],
      },
    });
    return name;
  }

  /** The Deployment controller gives up on the generation it was given. */
  function timeOut(service: string): void {
    const deployment = deploymentOf(service)!;
    server.put('deployments', {
      ...deployment,
      status: {
        observedGeneration: deployment.metadata.generation,
        replicas: 3,
        readyReplicas: 2,
        conditions: [
          { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
          { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: message(service) },
        ],
      },
    });
  }

  /**
   * Creates the service, plays its first rollout, and upgrades it to a release that gets stuck.
   * The Deployment controller's verdict is written again every 100 ms while the stuck template is
   * applied, as a controller's resync does: Wharf's answer to its own apply may reach its cache
   * after the watch event of the verdict, and would hide it until the next event.
   */
  async function stuckRelease(service: string, settings: Record<string, unknown>): Promise<{ oldPods: string[]; stuck: string }> {
    const body = { name: service, type: 'stateless', resourceSpec: '1U1G', instanceNumber: 2, containers: [{ name: 'main', image: 'nginx:1.27' }], ...settings };
    assert.equal((await wharf.request('POST', paths.services('app0'), body)).status, 201);
    await eventuallyAsync(async () => assert.ok(deploymentOf(service), 'the Deployment is applied'), 5000);
    const oldPods = server.rollOut('deployments', namespace, `app0-${service}`).map((pod) => pod.metadata.name).sort();
    await watch(service, (body) => body.status.phase === 'running' && body.status.rollout.state === 'complete');

    const before = templateHash(service);
    const upgrade = await wharf.request('PUT', paths.action('app0', service, 'upgrade'), { containers: [{ name: 'main', image: 'nginx:1.28' }] });
    assert.equal(upgrade.status, 200, JSON.stringify(upgrade.body));
    await eventuallyAsync(async () => assert.notEqual(templateHash(service), before, 'the new template is applied'), 5000);
    const stuck = stuckPod(service);
    const stuckHash = templateHash(service);
    const resync = setInterval(() => {
      if (templateHash(service) === stuckHash) timeOut(service);
    }, 100);
    timeOut(service);
    stopResyncs.push(() => clearInterval(resync));
    return { oldPods, stuck };
  }
  const stopResyncs: Array<() => void> = [];
  afterEach(() => stopResyncs.splice(0).forEach((stop) => stop()));

  it("a Deployment that ran out of time fails the rollout at once, with its message, though Wharf's own deadline is far", async () => {
    const { oldPods, stuck } = await stuckRelease('web', { progressDeadlineSeconds: 600 });
    const failed = await watch('web', (body) => body.status.rollout.state === 'failed');
    assert.deepEqual([failed.status.rollout.revision, failed.status.rollout.reason], [2, 'ProgressDeadlineExceeded']);
    assert.equal(
      failed.status.rollout.message,
      `revision 2 made no progress for 600 s (the engine: ${message('web')}): pod ${stuck} is not available (container main: running, not ready); the old pods keep serving`,
    );
    assert.equal(failed.status.available, 2, 'the old pods still count');
    assert.notEqual(failed.status.phase, 'running');
    assert.deepEqual(failed.pods.map((pod: any) => pod.name).sort(), [...oldPods, stuck].sort());
    const unready = failed.pods.find((pod: any) => pod.name === stuck);
    assert.deepEqual([unready.status.phase, unready.ready, unready.containerStatuses[0].ready], ['running', false, false]);
  });

  it('with autoRollback, Wharf rolls back: the Deployment gets the old template again and the rollout completes as RolledBack', async () => {
    const first = await stuckRelease('undo', { progressDeadlineSeconds: 600, autoRollback: true });
    const oldHash = first.oldPods[0]!.split('-').at(-2);
    await watch('undo', (body) => body.revision === 3);
    await eventuallyAsync(async () => assert.equal(templateHash('undo'), oldHash, "revision 1's template is applied again"), 5000);
    // The Deployment controller rolls back too: the stuck pod goes, the old pods stay.
    const pods = server.rollOut('deployments', namespace, 'app0-undo').map((pod) => pod.metadata.name).sort();
    assert.deepEqual(pods, first.oldPods);
    const back = await watch('undo', (body) => body.status.phase === 'running' && body.status.rollout.state === 'complete');
    assert.equal(back.containers[0].image, 'nginx:1.27');
    assert.equal(back.status.rollout.reason, 'RolledBack');
    assert.match(back.status.rollout.message, /^revision 2 made no progress for 600 s \(the engine: .*\): pod \S+ is not available .*; rolled back to the template of revision 1$/);
  });
});
