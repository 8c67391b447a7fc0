// Issue 12 on a real engine: the events of a service tell an image that cannot be pulled, a crash
// loop (each exit with its code, folded with a growing count) and a rollout's course, in order.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { apiPaths } from '../../support/api.js';
import { dockerSuiteSkip, eventually, IMAGES, useDockerWharf } from '../../support/docker.js';

const REGION = 'dkr-events';
const PROJECT = 'events';
const APP = 'shop';
const paths = apiPaths(REGION, PROJECT);
const skip = await dockerSuiteSkip();

const httpd = (image: string) => [{ name: 'web', image, command: ['httpd'], args: ['-f', '-p', '80', '-h', '/'] }];

describe('Docker runtime: events', { skip, concurrency: true }, () => {
  const wharf = useDockerWharf(REGION, PROJECT);
  const events = async (service: string): Promise<any[]> => {
    const answer = await wharf().request('GET', `${paths.service(APP, service)}/events`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body;
  };
  const create = async (name: string, containers: unknown[]): Promise<void> => {
    const created = await wharf().request('POST', paths.services(APP), { name, type: 'stateless', resourceSpec: '1U1G', instanceNumber: 1, containers });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  };
  before(async () => {
    const created = await wharf().request('POST', paths.apps, { name: APP, microservices: [] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });

  it('an image that cannot be pulled: Pulling, then an ErrImagePull warning naming it, repeated into one event', async () => {
    // Nothing can be pulled here (offline), and no registry has this image anyway.
    const image = 'wharf-e2e/never-built:1';
    await create('unpullable', [{ name: 'app', image }]);
    const failed = await eventually('an ErrImagePull event', async () => {
      const found = (await events('unpullable')).find((event) => event.reason === 'ErrImagePull');
      return found ?? undefined;
    }, 60_000);
    assert.equal(failed.type, 'Warning');
    assert.match(failed.message, /never-built/);
    assert.ok(failed.pod, 'of a pod');
    const all = await events('unpullable');
    const pulling = all.findIndex((event) => event.reason === 'Pulling' && event.message.includes(image));
    assert.ok(pulling >= 0, `a Pulling event: ${JSON.stringify(all)}`);
    assert.ok(!all.some((event) => event.reason === 'Pulled' && event.message.includes(image)), 'never pulled');
    // The creation retries with back-off: the failure folds into the same event.
    const again = await eventually('the pull failing again', async () => {
      const found = (await events('unpullable')).find((event) => event.reason === 'ErrImagePull' && event.count >= 2);
      return found ?? undefined;
    }, 60_000);
    assert.equal(again.firstTime, failed.firstTime);
    assert.ok(again.id > failed.id, 'a repeat takes a new id');
  });

  it('a crash loop: Started, then Exited with its code and BackOff, each folded with a count above 1', async () => {
    await create('crashing', [{ name: 'app', image: IMAGES.app1, command: ['/bin/sh'], args: ['-c', 'echo bad config; exit 3'] }]);
    const list = await eventually('the crash loop folded twice', async () => {
      const found = await events('crashing');
      const exited = found.find((event) => event.reason === 'Exited');
      const backOff = found.find((event) => event.reason === 'BackOff');
      return exited?.count >= 2 && backOff?.count >= 2 ? found : undefined;
    }, 90_000);
    const exited = list.filter((event) => event.reason === 'Exited');
    assert.equal(exited.length, 1, `one Exited event, folded: ${JSON.stringify(list)}`);
    assert.equal(exited[0].type, 'Warning');
    assert.equal(exited[0].container, 'app');
    assert.match(exited[0].message, /exited with code 3/);
    const backOff = list.find((event) => event.reason === 'BackOff');
    assert.equal(backOff.type, 'Warning');
    assert.match(backOff.message, /back-off restarting failed container app/);
    const order = list.map((event) => event.reason);
    assert.ok(order.indexOf('PodCreated') < order.indexOf('Started'), `created before started: ${order}`);
  });

  it('a failing liveness probe: Unhealthy, then Killing saying which probe, then Started again', async () => {
    const liveness = { httpGet: { path: '/missing', port: 80 }, periodSeconds: 1, failureThreshold: 2 };
    await create('probed', [{ ...httpd(IMAGES.app1)[0], livenessProbe: liveness }]);
    const list = await eventually('the liveness restart', async () => {
      const found = await events('probed');
      return found.some((event) => event.reason === 'Killing' && event.container === 'web') && found.filter((event) => event.reason === 'Started').some((event) => event.count >= 2)
        ? found
        : undefined;
    }, 90_000);
    const unhealthy = list.find((event) => event.reason === 'Unhealthy');
    assert.equal(unhealthy?.type, 'Warning');
    assert.match(unhealthy.message, /liveness probe failed/);
    const killing = list.find((event) => event.reason === 'Killing' && event.container === 'web');
    assert.match(killing.message, /liveness probe failed/);
    assert.ok(list.indexOf(unhealthy) < list.indexOf(killing) || unhealthy.count > 1, `Unhealthy came first: ${list.map((event) => event.reason)}`);
  });

  it('a rollout: the new pod created, the old one stopped, then RolloutComplete, in that order', async () => {
    await create('web', httpd(IMAGES.app1));
    await eventually('revision 1 running', async () => {
      const service = (await wharf().request('GET', paths.service(APP, 'web'))).body;
      return service.status.phase === 'running' ? true : undefined;
    }, 60_000);
    const old = (await wharf().request('GET', paths.service(APP, 'web'))).body.pods[0].name;
    const upgraded = await wharf().request('PUT', `${paths.service(APP, 'web')}/upgrade`, { containers: httpd(IMAGES.app2) });
    assert.equal(upgraded.status, 200, JSON.stringify(upgraded.body));
    const list = await eventually('revision 2 rolled out', async () => {
      const found = await events('web');
      return found.some((event) => event.reason === 'RolloutComplete' && event.revision === 2) ? found : undefined;
    }, 60_000);
    const index = (match: (event: any) => boolean): number => list.findIndex(match);
    const upgradedAt = index((event) => event.reason === 'Upgraded' && event.revision === 2);
    const createdAt = index((event) => event.reason === 'PodCreated' && event.revision === 2);
    const startedAt = index((event) => event.reason === 'Started' && event.revision === 2 && event.container === 'web');
    const killingAt = index((event) => event.reason === 'Killing' && event.pod === old);
    const completeAt = index((event) => event.reason === 'RolloutComplete' && event.revision === 2);
    const order = list.map((event) => `${event.reason}@${event.revision ?? '-'}`).join(' ');
    assert.ok(upgradedAt >= 0 && upgradedAt < createdAt, `Upgraded, then the new pod: ${order}`);
    assert.ok(createdAt < startedAt && startedAt < killingAt, `the new pod started before the old one stopped: ${order}`);
    assert.ok(killingAt < completeAt, `the old pod stopped before the rollout completed: ${order}`);
    assert.match(list[killingAt].message, /revision 1 is replaced/);
  });
});
