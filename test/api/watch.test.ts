import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiPaths, apiV2Paths, assertError, createApp, createService, eventually, isRunning, TEST_ADMIN_TOKEN } from '../support/api.js';
import { TEST_DATABASE_URL } from '../support/database.js';
import { listen, SseClient, type SseEvent } from '../support/sse.js';
import { startWharf, type TestWharf } from '../support/wharf.js';

/** Running and its rollout recorded complete: `running` comes a moment before that record, which changes the view again. */
const settledRunning = (service: any): boolean => isRunning(service) && service.status.rollout?.state === 'complete';
const paths = apiPaths();
const v2 = apiV2Paths();
const ADMIN = { 'x-auth-token': TEST_ADMIN_TOKEN };

const web = (name: string, instanceNumber = 1, image = 'registry.example/web:1') => ({
  name,
  type: 'stateless',
  resourceSpec: '1U1G',
  instanceNumber,
  containers: [{ name: 'web', image }],
});

async function watch(base: string, path: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const answer = await SseClient.open(`${base}${path}?watch=true`, { ...ADMIN, ...headers });
  assert.equal(answer.status, 200, `watch ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.client!;
}

const last = (events: SseEvent[]): SseEvent | undefined => events[events.length - 1];
const lastRunning = (revision: number, pods: number) => (events: SseEvent[]) => {
  const service = last(events)?.data;
  return service !== undefined && isRunning(service) && service.revision === revision && service.pods.length === pods && service.status.rollout.state === 'complete';
};

/** Ids grow, no message repeats the one before it for the same service. */
function assertOrderedWithoutRepeats(events: SseEvent[]): void {
  const before = new Map<string, string>();
  let previousId = 0;
  for (const event of events) {
    const id = Number(event.id);
    assert.ok(id >= previousId, `ids never go back: ${id} after ${previousId}`);
    previousId = id;
    const text = JSON.stringify(event.data);
    assert.notEqual(before.get(event.data.name), text, `a message changes something: ${event.event} ${event.id} repeats the one before`);
    before.set(event.data.name, text);
  }
}

describe('watching service state (simulated runtime)', () => {
  let wharf: TestWharf;
  let base: string;
  const opened: SseClient[] = [];
  const open = async (path: string, headers: Record<string, string> = {}): Promise<SseClient> => {
    const client = await watch(base, path, headers);
    opened.push(client);
    return client;
  };

  before(async () => {
    // Pods stay pending long enough that a loaded machine still shows each step.
    wharf = await startWharf({ startDelayMs: 200, watch: { sse: { heartbeatMs: 100, maxBufferedBytes: 64 * 1024, retryMs: 100 } } });
    base = await listen(wharf.api);
    await createApp(wharf, 'shop');
  });
  after(async () => {
    for (const client of opened) client.close();
    await wharf.stop();
  });

  it('shows every step of a creation and an upgrade, in order, as GET would show them', async () => {
    const app = await open(paths.services('shop'));
    await createService(wharf, 'shop', web('roll', 2));
    await app.until(lastRunning(1, 2), 15_000, 'the created service running');
    assert.equal(app.events[0]!.event, 'ADDED', 'the first message of a new service is ADDED');
    assert.equal(app.events[0]!.data.revision, 1);
    assert.equal(app.events[0]!.data.status.phase, 'pending');
    assert.ok(app.events.slice(1).every((event) => event.event === 'MODIFIED'), 'then only MODIFIED');

    const upgradeFrom = app.events.length;
    assert.equal((await wharf.request('PUT', `${paths.service('shop', 'roll')}/upgrade`, { containers: [{ name: 'web', image: 'registry.example/web:2' }] })).status, 200);
    await app.until(lastRunning(2, 2), 20_000, 'the upgrade complete');
    assertOrderedWithoutRepeats(app.events);

    const upgrade = app.events.slice(upgradeFrom).map((event) => event.data);
    assert.equal(upgrade[0].revision, 2, 'the upgrade shows at once, before any pod changed');
    assert.equal(upgrade[0].status.rollout.state, 'progressing');
    // Wharf surges one pod at a time: each new pod is seen pending, then running, and `updated` counts up one by one.
    const newPods = new Set(upgrade.flatMap((service) => service.pods.filter((pod: any) => pod.revision === 2).map((pod: any) => pod.name)));
    assert.equal(newPods.size, 2, `two pods of revision 2: ${[...newPods].join(', ')}`);
    for (const name of newPods) {
      const phases = upgrade.flatMap((service) => service.pods.filter((pod: any) => pod.name === name).map((pod: any) => pod.status.phase));
      const firstRunning = phases.indexOf('running');
      assert.ok(phases.indexOf('pending') >= 0 && phases.indexOf('pending') < firstRunning, `pod ${name} seen pending, then running: ${phases.join(' ')}`);
    }
    const updated = upgrade.map((service) => service.status.updated).filter((count, index, all) => index === 0 || count !== all[index - 1]);
    assert.deepEqual(updated, [0, 1, 2], 'updated counts 0, 1, 2');
    const phases = upgrade.map((service) => service.status.phase);
    assert.match(phases.join(' '), /^(pending )+running( running)*$/, 'pending until every new pod runs, then running');

    // The last message is exactly what GET answers.
    const got = await wharf.request('GET', paths.service('shop', 'roll'));
    assert.deepEqual(last(app.events)!.data, got.body);
  });

  it('starts with the current state and ends a deleted service with DELETED and its last state', async () => {
    await createService(wharf, 'shop', web('gone'));
    const settled = await wharf.waitForService(paths.service('shop', 'gone'), settledRunning, 10_000);
    const client = await open(paths.service('shop', 'gone'));
    await client.until((events) => events.length >= 1, 5000, 'the current state');
    assert.equal(client.events[0]!.event, 'ADDED');
    assert.deepEqual(client.events[0]!.data, settled);
    assert.match(client.events[0]!.id ?? '', /^\d+$/, 'the id is a sequence number');

    assert.equal((await wharf.request('DELETE', paths.service('shop', 'gone'))).status, 204);
    await client.until((events) => last(events)?.event === 'DELETED', 5000, 'DELETED');
    assert.equal(last(client.events)!.data.name, 'gone');
  });

  it('resumes after a dropped connection with Last-Event-ID: no gap, no repeat', async () => {
    await createService(wharf, 'shop', web('resume'));
    await wharf.waitForService(paths.service('shop', 'resume'), settledRunning, 10_000);
    const path = paths.service('shop', 'resume');
    const reference = await open(path);
    const dropped = await open(path);
    await reference.until((events) => events.length >= 1);
    await dropped.until((events) => events.length >= 1);
    assert.equal(dropped.events[0]!.id, reference.events[0]!.id, 'both start from the same change');

    // Changes go on while the connection is down, one while it drops.
    assert.equal((await wharf.request('PUT', `${path}/scale/2`)).status, 204);
    dropped.close();
    const seen = dropped.events.slice();
    assert.equal((await wharf.request('PUT', `${path}/scale/3`)).status, 204);
    await reference.until(lastRunning(1, 3), 15_000, 'three pods running');

    const resumed = await open(path, { 'last-event-id': seen[seen.length - 1]!.id! });
    const total = reference.events.length;
    await resumed.until((events) => seen.length + events.length >= total, 10_000, 'every missed message');
    const joined = [...seen, ...resumed.events].map((event) => [event.id, event.event, event.data]);
    assert.deepEqual(joined, reference.events.map((event) => [event.id, event.event, event.data]), 'what was seen and what was resumed is exactly what a watcher that never left saw');
  });

  it('sends the current state after RESET when the Last-Event-ID is too old or from another server', async () => {
    await createService(wharf, 'shop', web('old'));
    const settled = await wharf.waitForService(paths.service('shop', 'old'), settledRunning, 10_000);
    const client = await open(paths.service('shop', 'old'), { 'last-event-id': '1' });
    await client.until((events) => events.length >= 2, 5000, 'RESET and the current state');
    assert.equal(client.events[0]!.event, 'RESET');
    assert.match(client.events[0]!.data.message, /cannot resume from event 1/);
    assert.equal(client.events[1]!.event, 'ADDED');
    assert.deepEqual(client.events[1]!.data, settled);
  });

  it('watches every service of a project (V1, new route) and the V2 services of a project', async () => {
    const project = await open(`/regions/local/v1/projects/proj/microservices`);
    const v2List = await open(v2.services);
    assert.equal((await wharf.request('POST', v2.services, web('api'))).status, 201);
    await createService(wharf, 'shop', web('extra'));
    await project.until((events) => ['api', 'extra'].every((name) => events.some((event) => event.data.name === name && isRunning(event.data))), 10_000, 'both running');
    await v2List.until((events) => events.some((event) => event.data.name === 'api' && isRunning(event.data)), 10_000, 'the V2 service running');
    assert.ok(v2List.events.every((event) => event.data.name === 'api'), 'the V2 list watch shows V2 services only');
    assert.ok(project.events.some((event) => event.event === 'ADDED' && event.data.name === 'roll'), 'the project watch starts with what the project has');

    const plain = await wharf.request('GET', '/regions/local/v1/projects/proj/microservices');
    assert.equal(plain.status, 200);
    assert.ok(['api', 'extra', 'roll'].every((name) => plain.body.some((service: any) => service.name === name)), 'without watch, the route lists every service of the project');
    const single = await open(v2.service('api'));
    await single.until((events) => events.length >= 1);
    assert.equal(single.events[0]!.data.name, 'api');
  });

  it('sends heartbeats', async () => {
    const client = await open(paths.services('shop'));
    await client.until(() => client.heartbeats >= 2, 5000, 'two heartbeats');
  });

  it('refuses as GET does: 404 for a missing service or app, 403 for another project, 400 for a bad watch value', async () => {
    const missing = await SseClient.open(`${base}${paths.service('shop', 'nope')}?watch=true`, ADMIN);
    assertError({ status: missing.status, body: missing.body }, 404, 'ServiceNotFound', 'nope');
    const noApp = await SseClient.open(`${base}${paths.services('nope')}?watch=true`, ADMIN);
    assertError({ status: noApp.status, body: noApp.body }, 404, 'AppNotFound', 'nope');
    const token = (await wharf.request('POST', '/v1/tokens', { name: 'other', projects: ['other'] })).body.token;
    const forbidden = await SseClient.open(`${base}${paths.service('shop', 'roll')}?watch=true`, { 'x-auth-token': token });
    assertError({ status: forbidden.status, body: forbidden.body }, 403, 'OperationForbbiden');
    const bad = await wharf.request('GET', `${paths.service('shop', 'roll')}?watch=maybe`);
    assertError(bad, 400, 'InvalidArgs', 'watch');
    const plain = await wharf.request('GET', `${paths.service('shop', 'roll')}?watch=false`);
    assert.equal(plain.status, 200);
    assert.equal(plain.body.name, 'roll');
  });

  it('cuts off a client that does not read rather than buffer for it', async () => {
    // Views of ~10 KiB: changes fill the socket buffers, then the server's 64 KiB limit.
    const big = {
      ...web('big'),
      containers: [{ name: 'web', image: 'registry.example/web:1', envs: Array.from({ length: 10 }, (_, index) => ({ name: `E${index}`, value: 'x'.repeat(1000) })) }],
    };
    await createService(wharf, 'shop', big);
    await wharf.waitForService(paths.service('shop', 'big'), settledRunning, 10_000);
    const reader = await open(paths.service('shop', 'big'));
    const stalled = await open(paths.service('shop', 'big'));
    stalled.response.pause();
    const clients = wharf.watches.clients;
    // However much the kernel buffers on loopback, the server's own buffer passes 64 KiB in the end.
    for (let round = 0; round < 200 && wharf.watches.clients === clients; round++) {
      const count = 2 + (round % 2);
      assert.equal((await wharf.request('PUT', `${paths.service('shop', 'big')}/scale/${count}`)).status, 204);
      await reader.until((events) => last(events)?.data.status.desire === count, 10_000, `scale to ${count} seen`);
    }
    assert.equal(wharf.watches.clients, clients - 1, 'the client that does not read was cut off');
    stalled.response.resume();
    await stalled.ending(10_000);
    assert.ok(stalled.events.length < reader.events.length, `the stalled client got ${stalled.events.length} of ${reader.events.length} messages`);
    assert.equal(reader.ended, false, 'a client that reads stays connected');
  });
});

describe('watch history', () => {
  let wharf: TestWharf;
  let base: string;
  before(async () => {
    wharf = await startWharf({ watch: { historySize: 4 } });
    base = await listen(wharf.api);
    await createApp(wharf, 'shop');
  });
  after(async () => wharf.stop());

  it('sends RESET and the current state when the changes missed are no longer kept', async () => {
    await createService(wharf, 'shop', web('many'));
    const path = paths.service('shop', 'many');
    await wharf.waitForService(path, settledRunning, 10_000);
    const keeper = await watch(base, path);
    const dropped = await watch(base, path);
    await dropped.until((events) => events.length >= 1);
    dropped.close();
    for (const count of [2, 3, 4]) {
      assert.equal((await wharf.request('PUT', `${path}/scale/${count}`)).status, 204);
      await keeper.until(lastRunning(1, count), 10_000, `${count} pods running`);
    }
    assert.ok(keeper.events.length - 1 > 4, `more changes (${keeper.events.length - 1}) than the history keeps`);
    const resumed = await watch(base, path, { 'last-event-id': dropped.lastEventId! });
    await resumed.until((events) => events.length >= 2);
    assert.equal(resumed.events[0]!.event, 'RESET');
    assert.equal(resumed.events[1]!.event, 'ADDED');
    assert.deepEqual(resumed.events[1]!.data, last(keeper.events)!.data);
    keeper.close();
    resumed.close();
  });
});

describe('watch of a scope nobody watched for a while', () => {
  let wharf: TestWharf;
  let base: string;
  before(async () => {
    wharf = await startWharf({ watch: { idleTrackingMs: 100 } });
    base = await listen(wharf.api);
    await createApp(wharf, 'shop', [web('idle')]);
  });
  after(async () => wharf.stop());

  it('is followed no more after idleTrackingMs: a client resuming then gets RESET and the current state', async () => {
    const path = paths.service('shop', 'idle');
    const settled = await wharf.waitForService(path, settledRunning, 10_000);
    const first = await watch(base, path);
    await first.until((events) => events.length >= 1);
    first.close();
    await eventually(async () => wharf.watches.clients, (clients) => clients === 0);
    // Changes while nobody follows the service: no message records them.
    assert.equal((await wharf.request('PUT', `${path}/scale/2`)).status, 204);
    const scaled = await wharf.waitForService(path, (service) => settledRunning(service) && service.pods.length === 2, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const resumed = await watch(base, path, { 'last-event-id': first.lastEventId! });
    await resumed.until((events) => events.length >= 2);
    assert.equal(resumed.events[0]!.event, 'RESET');
    assert.deepEqual(resumed.events[1]!.data, scaled);
    assert.notDeepEqual(scaled, settled);
    resumed.close();
  });
});

describe('watch across two replicas on one PostgreSQL store', { skip: TEST_DATABASE_URL ? false : 'needs PostgreSQL: set WHARF_TEST_DATABASE_URL' }, () => {
  let a: TestWharf;
  let b: TestWharf;
  let baseA: string;
  before(async () => {
    // No periodic resync: what A's watcher sees of B's writes came through the change feed.
    a = await startWharf({ controllerResyncMs: 10 * 60_000 });
    b = await startWharf({ databaseUrl: a.databaseUrl, controllerResyncMs: 10 * 60_000 });
    baseA = await listen(a.api);
    await createApp(a, 'shop');
  });
  after(async () => {
    await b?.stop();
    await a?.stop();
  });

  it("a replica's watcher sees what was written through the other replica", async () => {
    const client = await watch(baseA, paths.services('shop'));
    assert.equal((await b.request('POST', paths.services('shop'), web('remote'))).status, 201);
    await client.until((events) => events.some((event) => event.event === 'ADDED' && event.data.name === 'remote'), 10_000, 'the service created through B');
    assert.equal((await b.request('PUT', `${paths.service('shop', 'remote')}/scale/2`)).status, 204);
    await client.until((events) => last(events)?.data.instanceNumber === 2, 10_000, 'the scale made through B');
    client.close();
  });
});
