import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiPaths, isRunning, TEST_ADMIN_TOKEN } from '../../support/api.js';
import { KubeApiServer } from '../../support/kube-api-server.js';
import { eventuallyAsync, startKubernetesWharf, writeKubeconfig } from '../../support/kubernetes-scenarios.js';
import { listen, SseClient, type SseEvent } from '../../support/sse.js';
import type { TestWharf } from '../../support/wharf.js';

// The watch and the metrics of a Wharf whose region is the test API server (its controllers and kubelet simulated).

const paths = apiPaths('local', 'watched');
const WEB = paths.service('shop', 'web');
const last = (events: SseEvent[]) => events[events.length - 1]?.data;
const settledAt = (revision: number) => (events: SseEvent[]) => {
  const service = last(events);
  return service !== undefined && isRunning(service) && service.revision === revision && service.pods.length === 2;
};
const web = (image: string) => ({ name: 'web', type: 'stateless', resourceSpec: '1U1G', instanceNumber: 2, containers: [{ name: 'main', image }] });

describe('Wharf on the test API server: watch and metrics', () => {
  let server: KubeApiServer;
  let stopControllers: () => void;
  let wharf: TestWharf;
  let base: string;
  let app: SseClient | undefined;
  before(async () => {
    server = await KubeApiServer.start();
    stopControllers = server.simulateControllers();
    wharf = await startKubernetesWharf(writeKubeconfig(server.kubeconfigYaml()), 'wharf-');
    base = await listen(wharf.api);
    assert.equal((await wharf.request('POST', paths.apps, { name: 'shop' })).status, 201);
  });
  after(async () => {
    app?.close();
    await wharf.stop();
    stopControllers();
    await server.close();
  });

  it('a watch sees the Deployment roll out, message by message, ending as GET answers', async () => {
    const opened = await SseClient.open(`${base}${paths.services('shop')}?watch=true`, { 'x-auth-token': TEST_ADMIN_TOKEN });
    assert.equal(opened.status, 200, JSON.stringify(opened.body));
    app = opened.client!;
    assert.equal((await wharf.request('POST', paths.services('shop'), web('nginx:1.27'))).status, 201);
    await app.until(settledAt(1), 20_000, 'two pods running');
    const upgradeFrom = app.events.length;
    assert.equal((await wharf.request('PUT', `${WEB}/upgrade`, { containers: [{ name: 'main', image: 'nginx:1.28' }] })).status, 200);
    await app.until(settledAt(2), 20_000, 'the upgrade rolled out');

    assert.equal(app.events[0]!.event, 'ADDED');
    const upgrade = app.events.slice(upgradeFrom).map((event) => event.data);
    assert.equal(upgrade[0].revision, 2, 'the upgrade shows before any pod changed');
    assert.ok(upgrade.some((service) => service.status.phase === 'pending'), 'pending while the Deployment rolls');
    for (let index = 1; index < app.events.length; index++) {
      assert.ok(Number(app.events[index]!.id) > Number(app.events[index - 1]!.id), 'ids grow');
      assert.notDeepEqual(app.events[index]!.data, app.events[index - 1]!.data, 'each message changes something');
    }
    await eventuallyAsync(async () => assert.deepEqual(last(app!.events), (await wharf.request('GET', WEB)).body), 5000);
  });

  it('the watch shows the engine going away and back; /metrics counts the watch restarts and the pods', async () => {
    const reconnects = async (): Promise<number> => {
      const text = (await wharf.api.inject({ method: 'GET', url: '/metrics', headers: { 'x-auth-token': TEST_ADMIN_TOKEN } })).body;
      return Number(/^wharf_engine_watch_reconnects_total\{region="local"\} (\d+)$/m.exec(text)?.[1] ?? 0);
    };
    const before = await reconnects();
    await server.stop();
    await app!.until((events) => last(events).status.phase === 'unknown', 20_000, 'phase unknown');
    await server.restart();
    await app!.until(settledAt(2), 20_000, 'running again');
    await eventuallyAsync(async () => assert.ok((await reconnects()) > before, 'the relists after the outage are counted'), 10_000);
    const text = (await wharf.api.inject({ method: 'GET', url: '/metrics', headers: { 'x-auth-token': TEST_ADMIN_TOKEN } })).body;
    assert.match(text, /^wharf_pods\{region="local",phase="running"\} 2$/m);
  });
});
