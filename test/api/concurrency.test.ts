import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiPaths, assertError, createApp, isRunning } from '../support/api.js';
import { createSeedConfigMap, startWharf, statelessService, type TestWharf } from '../support/wharf.js';

const paths = apiPaths();
const PARALLEL = 20;

describe('concurrent creates of one name', () => {
  let wharf: TestWharf;
  before(async () => {
    wharf = await startWharf();
    await createSeedConfigMap(wharf);
    await createApp(wharf, 'app0');
  });
  after(async () => wharf.stop());

  const inParallel = (send: (attempt: number) => Promise<{ status: number; body: any }>) =>
    Promise.all(Array.from({ length: PARALLEL }, (_, attempt) => send(attempt)));

  it('gives one 201 and nineteen 409 ServiceExists for 20 parallel POSTs of a service', async () => {
    const answers = await inParallel((attempt) =>
      wharf.request('POST', paths.services('app0'), statelessService('racer', { instanceNumber: (attempt % 5) + 1 })),
    );
    const winners = answers.filter((answer) => answer.status === 201);
    const losers = answers.filter((answer) => answer.status !== 201);
    assert.equal(winners.length, 1);
    assert.equal(losers.length, PARALLEL - 1);
    for (const answer of losers) assertError(answer, 409, 'ServiceExists', 'racer');

    const stored = await wharf.request('GET', paths.service('app0', 'racer'));
    assert.equal(stored.body.instanceNumber, winners[0]!.body.instanceNumber);
    const revisions = await wharf.request('GET', paths.revisions('app0', 'racer'));
    assert.deepEqual(revisions.body.map((revision: any) => revision.revision), [1]);
  });

  it('gives one 201 and nineteen 409 AppExists for 20 parallel POSTs of an app', async () => {
    const answers = await inParallel((attempt) =>
      wharf.request('POST', paths.apps, { name: 'rush', microservices: [statelessService(`svc${attempt}`)] }),
    );
    const winners = answers.filter((answer) => answer.status === 201);
    assert.equal(winners.length, 1);
    for (const answer of answers.filter((candidate) => candidate.status !== 201)) assertError(answer, 409, 'AppExists', 'rush');

    const stored = await wharf.request('GET', paths.app('rush'));
    assert.deepEqual(
      stored.body.microservices.map((service: any) => service.name),
      winners[0]!.body.microservices.map((service: any) => service.name),
    );
  });

  it('settles 20 parallel scales of one service on one of the counts, with that many pods', async () => {
    await createApp(wharf, 'busy', [statelessService('web')]);
    const answers = await inParallel((attempt) => wharf.request('PUT', paths.action('busy', 'web', `scale/${attempt + 1}`)));
    assert.ok(answers.every((answer) => answer.status === 204), 'answers.every((answer) => answer.status === 204)');
    const settled = await wharf.waitForService(paths.service('busy', 'web'), isRunning);
    assert.ok(settled.instanceNumber >= 1 && settled.instanceNumber <= PARALLEL, 'settled.instanceNumber >= 1 && settled.instanceNumber <= PARALLEL');
    assert.equal(settled.pods.length, settled.instanceNumber);
  });
});
