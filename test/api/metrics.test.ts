import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import parsePrometheusTextFormat, { type MetricFamily, type Sample } from 'parse-prometheus-text-format';
import { apiPaths, assertError, createApp, createService, eventually, isRunning } from '../support/api.js';
import { startWharf, type TestWharf } from '../support/wharf.js';

const paths = apiPaths();
const SERVICE_ROUTE = '/regions/:region/v1/projects/:project/apps/:app/microservices/:service';

const web = (name: string) => ({ name, type: 'stateless', resourceSpec: '1U1G', instanceNumber: 2, containers: [{ name: 'web', image: 'registry.example/web:1' }] });

describe('GET /metrics', () => {
  let wharf: TestWharf;
  const scrape = async (headers: Record<string, string> = { 'x-auth-token': wharf.adminToken }) => {
    const response = await wharf.api.inject({ method: 'GET', url: '/metrics', headers });
    return { status: response.statusCode, type: response.headers['content-type'], text: response.body };
  };
  let lastText = '';
  const metrics = async (): Promise<Map<string, MetricFamily>> => {
    const answer = await scrape();
    assert.equal(answer.status, 200, answer.text);
    lastText = answer.text;
    return new Map(parsePrometheusTextFormat(answer.text).map((family) => [family.name, family]));
  };
  /**
   * The `_count` of a labelled histogram, read from the text of the last scrape: the parser folds
   * the label sets of a histogram into one (it handles unlabelled ones only).
   */
  const labelledCount = (name: string, labels: Record<string, string>): number => {
    for (const line of lastText.split('\n')) {
      const match = new RegExp(`^${name}_count\\{(.*)\\} (\\S+)$`).exec(line);
      if (!match) continue;
      const found = Object.fromEntries([...match[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((pair) => [pair[1], pair[2]]));
      if (Object.entries(labels).every(([label, value]) => found[label] === value)) return Number(match[2]);
    }
    return 0;
  };
  /** The sample of a family whose labels include `labels`; undefined when there is none. */
  const sample = (families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}): Sample | undefined => {
    const family = families.get(name);
    assert.ok(family, `the family ${name} is exposed`);
    return family.metrics.find((one) => Object.entries(labels).every(([label, value]) => one.labels?.[label] === value));
  };
  const value = (families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}): number => Number(sample(families, name, labels)?.value ?? 0);
  const count = (families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}): number => Number(sample(families, name, labels)?.count ?? 0);

  before(async () => {
    wharf = await startWharf();
    await createApp(wharf, 'shop');
  });
  after(async () => wharf.stop());

  it('answers Prometheus text that a Prometheus parser reads, with every family Wharf promises', async () => {
    const answer = await scrape();
    assert.equal(answer.status, 200);
    assert.match(String(answer.type), /^text\/plain; version=0\.0\.4/);
    const families = new Map(parsePrometheusTextFormat(answer.text).map((family) => [family.name, family]));
    const expected: Record<string, MetricFamily['type']> = {
      wharf_http_requests_total: 'COUNTER',
      wharf_http_request_duration_seconds: 'HISTOGRAM',
      wharf_reconcile_duration_seconds: 'HISTOGRAM',
      wharf_reconcile_queue_depth: 'GAUGE',
      wharf_reconcile_retries_total: 'COUNTER',
      wharf_pods: 'GAUGE',
      wharf_rollouts_total: 'COUNTER',
      wharf_engine_watch_reconnects_total: 'COUNTER',
      wharf_store_transaction_duration_seconds: 'HISTOGRAM',
      wharf_watch_clients: 'GAUGE',
      process_cpu_seconds_total: 'COUNTER',
      nodejs_heap_size_used_bytes: 'GAUGE',
    };
    for (const [name, type] of Object.entries(expected)) assert.equal(families.get(name)?.type, type, `${name} is a ${type}`);
  });

  it('needs the admin token when authentication is on', async () => {
    const none = await scrape({});
    assertError({ status: none.status, body: JSON.parse(none.text) }, 401, 'Unauthorized');
    const token = (await wharf.request('POST', '/v1/tokens', { name: 'proj', projects: ['proj'] })).body.token;
    const project = await scrape({ authorization: `Bearer ${token}` });
    assertError({ status: project.status, body: JSON.parse(project.text) }, 403, 'OperationForbbiden', '/metrics');
    assert.equal((await scrape({ authorization: `Bearer ${wharf.adminToken}` })).status, 200, 'Prometheus sends the token as a bearer token');
  });

  it('counts requests by route pattern and status, with their latency', async () => {
    await createService(wharf, 'shop', web('counted'));
    const before = await metrics();
    const timedBefore = labelledCount('wharf_http_request_duration_seconds', { method: 'GET', route: SERVICE_ROUTE, status: '200' });
    const ok = { method: 'GET', route: SERVICE_ROUTE, status: '200' };
    const missing = { method: 'GET', route: SERVICE_ROUTE, status: '404' };
    for (let index = 0; index < 3; index++) assert.equal((await wharf.request('GET', paths.service('shop', 'counted'))).status, 200);
    assert.equal((await wharf.request('GET', paths.service('shop', 'absent'))).status, 404);
    const after = await metrics();
    assert.equal(value(after, 'wharf_http_requests_total', ok) - value(before, 'wharf_http_requests_total', ok), 3);
    assert.equal(value(after, 'wharf_http_requests_total', missing) - value(before, 'wharf_http_requests_total', missing), 1);
    assert.equal(labelledCount('wharf_http_request_duration_seconds', ok) - timedBefore, 3, 'each was timed');
    const routes = after.get('wharf_http_requests_total')!.metrics.map((one) => one.labels?.route ?? '');
    assert.ok(routes.every((route) => !route.includes('counted') && !route.includes('absent')), `routes are patterns, never URLs: ${routes.join(', ')}`);
  });

  it('leaves a watch out of the request metrics: its length is no latency', async () => {
    const ok = { method: 'GET', route: SERVICE_ROUTE, status: '200' };
    const before = value(await metrics(), 'wharf_http_requests_total', ok);
    await wharf.api.listen({ port: 0, host: '127.0.0.1' });
    const { port } = wharf.api.server.address() as AddressInfo;
    await new Promise<void>((resolve, reject) => {
      const watch = httpRequest({ port, host: '127.0.0.1', path: `${paths.service('shop', 'counted')}?watch=true`, headers: { 'x-auth-token': wharf.adminToken } });
      watch.on('error', () => undefined);
      watch.on('response', (response) => {
        if (response.statusCode !== 200) reject(new Error(`watch answered ${response.statusCode}`));
        response.once('data', () => {
          watch.destroy();
          resolve();
        });
      });
      watch.end();
    });
    // The hook runs once the server saw the client go.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(value(await metrics(), 'wharf_http_requests_total', ok), before);
  });

  it('counts reconciles, store transactions, completed rollouts and pods by phase', async () => {
    const before = await metrics();
    await createService(wharf, 'shop', web('reconciled'));
    await wharf.waitForService(paths.service('shop', 'reconciled'), (service) => isRunning(service) && service.status.rollout.state === 'complete', 10_000);
    const after = await eventually(metrics, (families) => value(families, 'wharf_rollouts_total', { outcome: 'complete' }) > value(before, 'wharf_rollouts_total', { outcome: 'complete' }));
    assert.ok(count(after, 'wharf_reconcile_duration_seconds') > count(before, 'wharf_reconcile_duration_seconds'), 'reconciles were timed');
    assert.ok(count(after, 'wharf_store_transaction_duration_seconds') > count(before, 'wharf_store_transaction_duration_seconds'), 'write transactions were timed');
    // Two pods of `reconciled`, two of `counted`: every pod of the region, as the runtime has them.
    assert.equal(value(after, 'wharf_pods', { region: 'local', phase: 'running' }), 4);
    assert.ok(sample(after, 'wharf_reconcile_queue_depth'), 'the queue depth is there');
  });

  it('counts a rollout that failed and was rolled back', async () => {
    wharf.simulated.crashLoop('registry.example/web:crash');
    const before = await metrics();
    // The shortest deadline the API takes: 10 s. A crash loop never stays up minReadySeconds.
    await createService(wharf, 'shop', { ...web('undo'), minReadySeconds: 1, progressDeadlineSeconds: 10, autoRollback: true });
    const path = paths.service('shop', 'undo');
    await wharf.waitForService(path, (service) => isRunning(service) && service.status.rollout.state === 'complete', 10_000);
    assert.equal((await wharf.request('PUT', `${path}/upgrade`, { containers: [{ name: 'web', image: 'registry.example/web:crash' }] })).status, 200);
    await wharf.waitForService(path, (service) => service.revision === 3 && service.status.rollout.state === 'complete', 30_000);
    const after = await metrics();
    for (const outcome of ['failed', 'rolledBack']) {
      assert.equal(value(after, 'wharf_rollouts_total', { outcome }) - value(before, 'wharf_rollouts_total', { outcome }), 1, `one rollout ${outcome}`);
    }
  });

  it('counts reconciles that failed and were retried', async () => {
    const before = await metrics();
    wharf.simulated.setReachable(false);
    try {
      assert.equal((await wharf.request('PUT', `${paths.service('shop', 'counted')}/scale/3`)).status, 204);
      await eventually(metrics, (families) => value(families, 'wharf_reconcile_retries_total') >= value(before, 'wharf_reconcile_retries_total') + 2);
    } finally {
      wharf.simulated.setReachable(true);
    }
  });
});
