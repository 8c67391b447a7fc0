import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { apiPaths, apiV2Paths, assertError, assertInvalid, createApp, createService, eventually, isRunning, isStopped } from '../support/api.js';
import { TEST_DATABASE_URL } from '../support/database.js';
import { createSeedConfigMap, startWharf, statelessService, type TestWharf } from '../support/wharf.js';

const paths = apiPaths();
const v2 = apiV2Paths();
const PROJECT_EVENTS = '/regions/local/v1/projects/proj/events';
const eventsOf = (app: string, service: string): string => `${paths.service(app, service)}/events`;

/** Reasons in the order listed, optionally of one pod or container only. */
function reasons(events: any[], filter: (event: any) => boolean = () => true): string[] {
  return events.filter(filter).map((event) => event.reason);
}

/** A Server-Sent Events stream read as it comes: its messages parsed, each with its id. */
class EventStream {
  readonly messages: Array<{ id?: string; data: any }> = [];
  private buffer = '';
  private constructor(readonly response: IncomingMessage) {
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      this.buffer += chunk;
      let end: number;
      while ((end = this.buffer.indexOf('\n\n')) >= 0) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        const fields = Object.fromEntries(block.split('\n').filter((line) => line && !line.startsWith(':')).map((line) => {
          const colon = line.indexOf(':');
          return [line.slice(0, colon), line.slice(colon + 1).trimStart()];
        }));
        if (fields.data !== undefined) this.messages.push({ id: fields.id, data: JSON.parse(fields.data) });
      }
    });
  }

  static open(port: number, path: string, headers: Record<string, string>): Promise<EventStream> {
    return new Promise((resolve, reject) => {
      const request = httpRequest({ host: '127.0.0.1', port, path, headers }, (response) => resolve(new EventStream(response)));
      request.on('error', reject);
      request.end();
    });
  }

  close(): void {
    this.response.destroy();
  }
}

describe('events', () => {
  let wharf: TestWharf;
  let port: number;
  const auth = (): Record<string, string> => ({ 'x-auth-token': wharf.adminToken });

  before(async () => {
    wharf = await startWharf();
    await wharf.api.listen({ host: '127.0.0.1', port: 0 });
    port = (wharf.api.server.address() as AddressInfo).port;
    await createSeedConfigMap(wharf);
    await createApp(wharf, 'shop');
  });
  after(async () => wharf.stop());

  it('lists what the API did to a service, each with its revision, oldest first', async () => {
    await createService(wharf, 'shop', statelessService('web'));
    await wharf.waitForService(paths.service('shop', 'web'), isRunning);
    assert.equal((await wharf.request('PUT', paths.action('shop', 'web', 'scale/2'))).status, 204);
    await wharf.waitForService(paths.service('shop', 'web'), isRunning);
    const upgraded = await wharf.request('PUT', paths.action('shop', 'web', 'upgrade'), { containers: [{ name: 'container-0', image: 'example/web:2' }] });
    assert.equal(upgraded.status, 200, JSON.stringify(upgraded.body));
    await wharf.waitForService(paths.service('shop', 'web'), (service) => isRunning(service) && service.revision === 2);
    assert.equal((await wharf.request('PUT', paths.rollback('shop', 'web', 1))).status, 204);
    await wharf.waitForService(paths.service('shop', 'web'), (service) => isRunning(service) && service.revision === 3);
    assert.equal((await wharf.request('PUT', paths.action('shop', 'web', 'stop'))).status, 204);
    await wharf.waitForService(paths.service('shop', 'web'), isStopped);
    assert.equal((await wharf.request('PUT', paths.action('shop', 'web', 'start'))).status, 204);
    await wharf.waitForService(paths.service('shop', 'web'), isRunning);
    assert.equal((await wharf.request('PUT', paths.configMap('cm'), { data: { key1: 'changed' } })).status, 200);

    const events = (await eventually(
      () => wharf.request('GET', eventsOf('shop', 'web')),
      (answer) => answer.body.some((event: any) => event.reason === 'ConfigMapChanged'),
    )).body;
    const api = ['Created', 'Scaled', 'Upgraded', 'RolledBack', 'Stopped', 'Started', 'ConfigMapChanged'];
    // A container's Started is of a pod; the service's is not.
    assert.deepEqual(reasons(events, (event) => api.includes(event.reason) && event.pod === undefined), api, JSON.stringify(events));
    const byReason = (reason: string): any => events.find((event: any) => event.reason === reason && event.pod === undefined);
    assert.equal(byReason('Created').revision, 1);
    assert.equal(byReason('Upgraded').revision, 2);
    assert.match(byReason('Upgraded').message, /example\/web:2/);
    assert.equal(byReason('RolledBack').revision, 3);
    assert.equal(byReason('RolledBack').type, 'Normal');
    assert.match(byReason('RolledBack').message, /revision 1/);
    assert.match(byReason('Scaled').message, /from 1 to 2/);
    for (const event of events) {
      assert.equal(event.service, 'web');
      assert.equal(event.app, 'shop');
      assert.ok(event.count >= 1 && event.firstTime <= event.time, `count and times of ${JSON.stringify(event)}`);
    }
    const ids = events.map((event: any) => event.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'listed in id order');
  });

  it('lists what the controller and the simulated engine did, the engine\'s pulls saying they are simulated', async () => {
    const events = (await wharf.request('GET', eventsOf('shop', 'web'))).body;
    const first = events.find((event: any) => event.reason === 'PodCreated');
    assert.ok(first, `a PodCreated event: ${JSON.stringify(events)}`);
    const ofFirst = reasons(events, (event) => event.pod === first.pod);
    for (const reason of ['PodCreated', 'Pulling', 'Pulled', 'Started', 'Killing']) assert.ok(ofFirst.includes(reason), `pod ${first.pod} has ${reason}: ${ofFirst}`);
    assert.ok(ofFirst.indexOf('PodCreated') < ofFirst.indexOf('Pulled') && ofFirst.indexOf('Pulled') < ofFirst.indexOf('Started'), `in order: ${ofFirst}`);
    const pull = events.find((event: any) => event.reason === 'Pulling');
    assert.match(pull.message, /simulated/);
    assert.equal(pull.container, 'container-0');
    assert.match(events.find((event: any) => event.reason === 'Killing').message, /stopping pod .*: /);
    assert.ok(reasons(events).includes('RolloutComplete'), `a rollout completed: ${reasons(events)}`);
  });

  it('folds a crash loop into Exited and BackOff events whose count grows', async () => {
    wharf.simulated.crashLoop('example/crash:1');
    await createService(wharf, 'shop', statelessService('crash', { containers: [{ name: 'main', image: 'example/crash:1' }] }));
    const events = (await eventually(
      () => wharf.request('GET', eventsOf('shop', 'crash')),
      (answer) => answer.body.some((event: any) => event.reason === 'BackOff' && event.count >= 2),
    )).body;
    const exited = events.filter((event: any) => event.reason === 'Exited');
    assert.equal(exited.length, 1, `one Exited event, folded: ${JSON.stringify(events)}`);
    assert.equal(exited[0].type, 'Warning');
    assert.match(exited[0].message, /container main exited with code 1/);
    assert.ok(exited[0].count >= 1 && exited[0].firstTime <= exited[0].time, 'folded with its first time kept');
    const backOff = events.find((event: any) => event.reason === 'BackOff');
    assert.equal(backOff.type, 'Warning');
    assert.equal(backOff.container, 'main');
    // A folded event takes a new id: it is listed after what happened before its last repeat.
    assert.equal(events.at(-1).id, Math.max(...events.map((event: any) => event.id)));
  });

  it('records a failed rollout and its automatic rollback', async () => {
    wharf.simulated.crashLoop('example/broken:1');
    // A crash-looping pod of minReadySeconds 0 would count as available: 1 s, and the shortest deadline allowed.
    await createService(wharf, 'shop', statelessService('auto', {
      containers: [{ name: 'main', image: 'example/good:1' }], autoRollback: true, minReadySeconds: 1, progressDeadlineSeconds: 10,
    }));
    // Rolled back to: a revision whose rollout completed.
    await eventually(
      () => wharf.request('GET', eventsOf('shop', 'auto')),
      (answer) => answer.body.some((event: any) => event.reason === 'RolloutComplete' && event.revision === 1),
      15_000,
    );
    assert.equal((await wharf.request('PUT', paths.action('shop', 'auto', 'upgrade'), { containers: [{ name: 'main', image: 'example/broken:1' }] })).status, 200);
    const events = (await eventually(
      () => wharf.request('GET', eventsOf('shop', 'auto')),
      (answer) => answer.body.some((event: any) => event.reason === 'RolledBack'),
      60_000,
    )).body;
    const outcome = reasons(events, (event) => ['Upgraded', 'ProgressDeadlineExceeded', 'RolledBack'].includes(event.reason));
    assert.deepEqual(outcome, ['Upgraded', 'ProgressDeadlineExceeded', 'RolledBack']);
    const rolledBack = events.find((event: any) => event.reason === 'RolledBack');
    assert.equal(rolledBack.type, 'Warning');
    assert.equal(rolledBack.revision, 3);
  });

  it('lists a project\'s events of every service, V2 ones too, and since a time', async () => {
    const v2Created = await wharf.request('POST', v2.services, statelessService('solo'));
    assert.equal(v2Created.status, 201, JSON.stringify(v2Created.body));
    const v2Events = (await wharf.request('GET', `${v2.service('solo')}/events`)).body;
    assert.equal(v2Events[0].reason, 'Created');
    assert.equal(v2Events[0].app, undefined, 'a V2 service has no app');
    const all = (await wharf.request('GET', PROJECT_EVENTS)).body;
    assert.deepEqual([...new Set(all.map((event: any) => event.service))].sort(), ['auto', 'crash', 'solo', 'web']);
    const ids = all.map((event: any) => event.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'oldest first');
    const cut = all[Math.floor(all.length / 2)].time;
    const since = (await wharf.request('GET', `${PROJECT_EVENTS}?since=${encodeURIComponent(cut)}`)).body;
    assert.ok(since.length > 0 && since.length < all.length, `some, not all: ${since.length} of ${all.length}`);
    assert.ok(since.every((event: any) => event.time >= cut), 'none before since');
    const offset = new Date(Date.parse(cut)).toISOString().replace('Z', '+00:00');
    assert.deepEqual((await wharf.request('GET', `${PROJECT_EVENTS}?since=${encodeURIComponent(offset)}`)).body.map((event: any) => event.id).slice(0, 1), since.map((event: any) => event.id).slice(0, 1));
    assert.deepEqual((await wharf.request('GET', '/regions/local/v1/projects/empty/events')).body, []);
  });

  it('refuses a bad since or Last-Event-ID, and a service or app that does not exist', async () => {
    assertInvalid(await wharf.request('GET', `${PROJECT_EVENTS}?since=yesterday`), 'since');
    assertInvalid(await wharf.request('GET', `${PROJECT_EVENTS}?watch=maybe`), 'watch');
    const badId = await wharf.api.inject({ method: 'GET', url: `${PROJECT_EVENTS}?watch=true`, headers: { ...auth(), 'last-event-id': 'abc' } });
    assertInvalid({ status: badId.statusCode, body: JSON.parse(badId.body) }, 'Last-Event-ID');
    assertError(await wharf.request('GET', eventsOf('shop', 'nope')), 404, 'ServiceNotFound', 'nope');
    assertError(await wharf.request('GET', eventsOf('nope', 'web')), 404, 'AppNotFound', 'nope');
    assertError(await wharf.request('GET', `${v2.service('nope')}/events`), 404, 'ServiceNotFound', 'nope');
  });

  it('shows a project token only its own project\'s events (403 for another, whether or not the service exists)', async () => {
    const created = await wharf.request('POST', '/v1/tokens', { name: 'other team', projects: ['other'] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const other = { token: created.body.token as string };
    for (const url of [PROJECT_EVENTS, eventsOf('shop', 'web'), eventsOf('shop', 'nope'), `${v2.service('solo')}/events`]) {
      assertError(await wharf.request('GET', url, undefined, other), 403, 'OperationForbbiden');
    }
    assert.deepEqual((await wharf.request('GET', '/regions/local/v1/projects/other/events', undefined, other)).body, []);
  });

  it('deletes a service\'s events with it', async () => {
    await createService(wharf, 'shop', statelessService('brief'));
    assert.ok((await wharf.request('GET', PROJECT_EVENTS)).body.some((event: any) => event.service === 'brief'), 'listed while it exists');
    assert.equal((await wharf.request('DELETE', paths.service('shop', 'brief'))).status, 204);
    assert.ok(!(await wharf.request('GET', PROJECT_EVENTS)).body.some((event: any) => event.service === 'brief'), 'gone with it');
  });

  it('watches: the list, then each new or folded event, and a client resuming with Last-Event-ID misses nothing', async () => {
    const url = `${eventsOf('shop', 'web')}?watch=true`;
    const listed = (await wharf.request('GET', eventsOf('shop', 'web'))).body;
    const stream = await EventStream.open(port, url, auth());
    assert.equal(stream.response.statusCode, 200);
    assert.match(String(stream.response.headers['content-type']), /text\/event-stream/);
    await eventually(async () => stream.messages.length, (count) => count >= listed.length);
    assert.deepEqual(stream.messages.slice(0, listed.length).map((message) => Number(message.id)), listed.map((event: any) => event.id));
    assert.deepEqual(stream.messages[0]!.data, listed[0]);

    assert.equal((await wharf.request('PUT', paths.action('shop', 'web', 'scale/3'))).status, 204);
    const scaled = await eventually(async () => stream.messages.find((message) => message.data.reason === 'Scaled' && /to 3/.test(message.data.message)), Boolean);
    assert.ok(Number(scaled!.id) > listed.at(-1).id, 'a new event has a newer id');
    const seen = Number(stream.messages.at(-1)!.id);
    stream.close();

    // While nobody watches: a change, then the client comes back with the last id it saw.
    assert.equal((await wharf.request('PUT', paths.action('shop', 'web', 'scale/1'))).status, 204);
    await wharf.waitForService(paths.service('shop', 'web'), isRunning);
    const missed = (await wharf.request('GET', eventsOf('shop', 'web'))).body.filter((event: any) => event.id > seen);
    assert.ok(missed.some((event: any) => event.reason === 'Scaled'), 'events happened while it was away');
    const resumed = await EventStream.open(port, url, { ...auth(), 'last-event-id': String(seen) });
    await eventually(async () => resumed.messages.length, (count) => count >= missed.length);
    assert.deepEqual(resumed.messages.slice(0, missed.length).map((message) => Number(message.id)), missed.map((event: any) => event.id), 'exactly what it missed, in order');
    resumed.close();
  });

  it('watches a project, with a folded event coming again under a new id', async () => {
    const since = new Date().toISOString();
    const stream = await EventStream.open(port, `${PROJECT_EVENTS}?watch=true&since=${encodeURIComponent(since)}`, auth());
    assert.equal((await wharf.request('PUT', paths.action('shop', 'web', 'stop'))).status, 204);
    assert.equal((await wharf.request('PUT', paths.action('shop', 'web', 'start'))).status, 204);
    assert.equal((await wharf.request('PUT', paths.action('shop', 'web', 'stop'))).status, 204);
    const stops = await eventually(async () => stream.messages.filter((message) => message.data.reason === 'Stopped'), (found) => found.length === 2);
    assert.equal(stops[1]!.data.count, stops[0]!.data.count + 1, 'the same event, folded');
    assert.ok(Number(stops[1]!.id) > Number(stops[0]!.id), 'under a new id');
    assert.ok(stream.messages.every((message) => message.data.time >= since), 'nothing from before since');
    stream.close();
  });
});

describe('events watches and the server\'s life', () => {
  it('a Wharf closing ends its open watches rather than waiting for their clients', async () => {
    const wharf = await startWharf();
    await wharf.api.listen({ host: '127.0.0.1', port: 0 });
    const port = (wharf.api.server.address() as AddressInfo).port;
    const stream = await EventStream.open(port, `${PROJECT_EVENTS}?watch=true`, { 'x-auth-token': wharf.adminToken });
    const ended = new Promise<void>((resolve) => stream.response.on('close', resolve));
    let timer: NodeJS.Timeout | undefined;
    const stopped = await Promise.race([
      wharf.stop().then(() => 'stopped'),
      new Promise((resolve) => {
        timer = setTimeout(() => resolve('still waiting'), 30_000);
      }),
    ]);
    clearTimeout(timer);
    stream.close();
    assert.equal(stopped, 'stopped');
    await ended;
  });

  it('a watch on one replica streams what another one records (PostgreSQL\'s change feed)', { skip: TEST_DATABASE_URL ? false : 'needs PostgreSQL: set WHARF_TEST_DATABASE_URL' }, async () => {
    const a = await startWharf();
    const b = await startWharf({ databaseUrl: a.databaseUrl });
    try {
      await b.api.listen({ host: '127.0.0.1', port: 0 });
      const port = (b.api.server.address() as AddressInfo).port;
      await createSeedConfigMap(a);
      await createApp(a, 'shop');
      await createService(a, 'shop', statelessService('web'));
      // Stopped: neither replica's controller has anything left to do or record for it.
      assert.equal((await a.request('PUT', paths.action('shop', 'web', 'stop'))).status, 204);
      await a.waitForService(paths.service('shop', 'web'), isStopped);
      await b.waitForService(paths.service('shop', 'web'), isStopped);
      const stream = await EventStream.open(port, `${eventsOf('shop', 'web')}?watch=true`, { 'x-auth-token': b.adminToken });
      await eventually(async () => stream.messages.length, (count) => count > 0);
      // Events alone, as a's engine would report them: nothing for b's controller to do, so only the feed wakes b's watch.
      await a.store.recordEvents([{ key: { region: 'local', project: 'proj', app: 'shop', service: 'web' }, type: 'Warning', reason: 'Unhealthy', message: 'seen by replica a' }]);
      await eventually(async () => stream.messages.some((message) => message.data.message === 'seen by replica a'), Boolean);
      stream.close();
    } finally {
      await b.stop();
      await a.stop();
    }
  });
});
