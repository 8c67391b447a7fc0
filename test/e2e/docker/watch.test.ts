import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiPaths, isRunning, TEST_ADMIN_TOKEN } from '../../support/api.js';
import { dockerSuiteSkip, IMAGES, useDockerWharf } from '../../support/docker.js';
import { listen, SseClient, type SseEvent } from '../../support/sse.js';

const REGION = 'dkr-watch';
const PROJECT = 'watch';
const paths = apiPaths(REGION, PROJECT);
const WEB = paths.service('shop', 'web');
const skip = await dockerSuiteSkip();

const httpd = (image: string) => [{ name: 'httpd', image, command: ['httpd'], args: ['-f', '-p', '80', '-h', '/'] }];
const last = (events: SseEvent[]) => events[events.length - 1]?.data;
const settledAt = (revision: number) => (events: SseEvent[]) => {
  const service = last(events);
  return service !== undefined && isRunning(service) && service.revision === revision && service.pods.length === 2 && service.status.rollout.state === 'complete';
};

describe('Docker runtime: watching a real rollout', { skip }, () => {
  const wharf = useDockerWharf(REGION, PROJECT);
  let base: string;
  const clients: SseClient[] = [];
  const open = async (path: string, headers: Record<string, string> = {}): Promise<SseClient> => {
    const answer = await SseClient.open(`${base}${path}?watch=true`, { 'x-auth-token': TEST_ADMIN_TOKEN, ...headers });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    clients.push(answer.client!);
    return answer.client!;
  };
  before(async () => {
    base = await listen(wharf().api);
    assert.equal((await wharf().request('POST', paths.apps, { name: 'shop' })).status, 201);
  });
  after(() => clients.forEach((client) => client.close()));

  it('sees the creation and the upgrade of a service step by step, and a watcher that dropped mid-rollout resumes without a gap', async () => {
    const app = await open(paths.services('shop'));
    const created = await wharf().request('POST', paths.services('shop'), { name: 'web', type: 'stateless', resourceSpec: '1U1G', instanceNumber: 2, containers: httpd(IMAGES.app1) });
    assert.equal(created.status, 201);
    await app.until(settledAt(1), 60_000, 'two pods running');
    assert.equal(app.events[0]!.event, 'ADDED');

    const dropped = await open(WEB);
    await dropped.until((events) => events.length >= 1);
    const upgradeFrom = app.events.length;
    assert.equal((await wharf().request('PUT', `${WEB}/upgrade`, { containers: httpd(IMAGES.app2) })).status, 200);
    // Drop as soon as the engine shows the rollout under way.
    await dropped.until((events) => last(events).pods.some((pod: any) => pod.revision === 2), 60_000, 'a pod of revision 2');
    dropped.close();
    const seen = dropped.events.slice();
    await app.until(settledAt(2), 90_000, 'the upgrade complete');

    const upgrade = app.events.slice(upgradeFrom);
    const ids = app.events.map((event) => Number(event.id));
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'ids grow');
    for (let index = 1; index < upgrade.length; index++) {
      assert.notDeepEqual(upgrade[index]!.data, upgrade[index - 1]!.data, `message ${upgrade[index]!.id} changes something`);
    }
    assert.equal(upgrade[0]!.data.revision, 2);
    assert.equal(upgrade[0]!.data.status.rollout.state, 'progressing');
    const updated = upgrade.map((event) => event.data.status.updated).filter((count, index, all) => index === 0 || count !== all[index - 1]);
    assert.deepEqual(updated, [0, 1, 2], 'one new pod at a time');
    assert.deepEqual(last(app.events), (await wharf().request('GET', WEB)).body, 'the last message is what GET answers');

    const resumed = await open(WEB, { 'last-event-id': seen[seen.length - 1]!.id! });
    const all = app.events.filter((event) => event.data.name === 'web' && Number(event.id) > Number(seen[0]!.id));
    await resumed.until((events) => seen.length - 1 + events.length >= all.length, 30_000, 'the messages missed');
    assert.deepEqual(
      [...seen.slice(1), ...resumed.events].map((event) => [event.id, event.event, event.data]),
      all.map((event) => [event.id, event.event, event.data]),
      'what the dropped watcher saw, then resumed, is what a watcher that stayed saw',
    );
  });
});
