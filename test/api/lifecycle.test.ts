import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiPaths, assertError, assertInvalid, createApp, createService, isRunning, isStopped, countsOf } from '../support/api.js';
import { createSeedConfigMap, startWharf, statefulService, statelessService, type TestWharf } from '../support/wharf.js';

const paths = apiPaths();

describe('stop, start and scale', () => {
  let wharf: TestWharf;
  const put = async (service: string, action: string) => wharf.request('PUT', paths.action('app0', service, action));
  const get = async (service: string) => (await wharf.request('GET', paths.service('app0', service))).body;
  const waitRunning = (service: string) => wharf.waitForService(paths.service('app0', service), isRunning);
  const waitStopped = (service: string) => wharf.waitForService(paths.service('app0', service), isStopped);
  const assertNoContent = (answer: { status: number; body: unknown }) => {
    assert.equal(answer.status, 204);
    assert.equal(answer.body, undefined);
  };

  before(async () => {
    wharf = await startWharf();
    await createSeedConfigMap(wharf);
    await createApp(wharf, 'app0');
  });
  after(async () => wharf.stop());

  it('stops a service: 204, every pod removed, phase stopped, desire 0, instanceNumber kept', async () => {
    await createService(wharf, 'app0', statelessService('stopper', { instanceNumber: 3 }));
    await waitRunning('stopper');
    assertNoContent(await put('stopper', 'stop'));
    const stopped = await waitStopped('stopper');
    assert.deepEqual(countsOf(stopped.status), { phase: 'stopped', desire: 0, current: 0, updated: 0, available: 0, unavailable: 0 });
    assert.equal(stopped.instanceNumber, 3);
    assert.deepEqual(stopped.pods, []);
  });

  it('stops idempotently, without touching updateTime the second time', async () => {
    await createService(wharf, 'app0', statelessService('twice'));
    assertNoContent(await put('twice', 'stop'));
    const first = await waitStopped('twice');
    assertNoContent(await put('twice', 'stop'));
    const second = await get('twice');
    assert.deepEqual(second.status, first.status);
    assert.equal(second.updateTime, first.updateTime);
  });

  it('starts a stopped service again with instanceNumber pods, idempotently', async () => {
    await createService(wharf, 'app0', statelessService('restart', { instanceNumber: 2 }));
    await waitRunning('restart');
    assertNoContent(await put('restart', 'stop'));
    await waitStopped('restart');
    assertNoContent(await put('restart', 'start'));
    assertNoContent(await put('restart', 'start'));
    const running = await waitRunning('restart');
    assert.equal(running.pods.length, 2);
    assert.deepEqual(countsOf(running.status), { phase: 'running', desire: 2, current: 2, updated: 2, available: 2, unavailable: 0 });
  });

  it('starts a running service as a no-op', async () => {
    await createService(wharf, 'app0', statelessService('already'));
    const running = await waitRunning('already');
    assertNoContent(await put('already', 'start'));
    const after = await get('already');
    assert.deepEqual(after.pods.map((pod: any) => pod.name), running.pods.map((pod: any) => pod.name));
    assert.equal(after.updateTime, running.updateTime);
  });

  it('shows pending while pods start after start', async () => {
    const slow = await startWharf({ startDelayMs: 300 });
    try {
      await createSeedConfigMap(slow);
      await createApp(slow, 'app0', [statelessService('web', { instanceNumber: 2 })]);
      const path = paths.service('app0', 'web');
      await slow.waitForService(path, isRunning);
      assertNoContent(await slow.request('PUT', paths.action('app0', 'web', 'stop')));
      await slow.waitForService(path, isStopped);
      assertNoContent(await slow.request('PUT', paths.action('app0', 'web', 'start')));
      const starting = (await slow.request('GET', path)).body;
      assert.equal(starting.status.phase, 'pending');
      assert.equal(starting.status.desire, 2);
      await slow.waitForService(path, isRunning);
    } finally {
      await slow.stop();
    }
  });

  it('scales a stateless service up and down: 204, then exactly count pods', async () => {
    await createService(wharf, 'app0', statelessService('scaler'));
    await waitRunning('scaler');
    assertNoContent(await put('scaler', 'scale/4'));
    const up = await waitRunning('scaler');
    assert.equal(up.instanceNumber, 4);
    assert.deepEqual(countsOf(up.status), { phase: 'running', desire: 4, current: 4, updated: 4, available: 4, unavailable: 0 });
    assert.equal(up.revision, 1);

    assertNoContent(await put('scaler', 'scale/2'));
    const down = await waitRunning('scaler');
    assert.equal(down.instanceNumber, 2);
    assert.equal(down.pods.length, 2);
    const kept = down.pods.map((pod: any) => pod.name);
    assert.ok(kept.every((name: string) => up.pods.some((pod: any) => pod.name === name)), 'scale down keeps existing pods');
  });

  it('scales to the limits 1 and 50', async () => {
    await createService(wharf, 'app0', statelessService('limits'));
    assertNoContent(await put('limits', 'scale/50'));
    const max = await waitRunning('limits');
    assert.equal(max.pods.length, 50);
    assertNoContent(await put('limits', 'scale/1'));
    assert.equal((await waitRunning('limits')).pods.length, 1);
  });

  it('refuses a count of 0, 51 or abc with 400 naming count, changing nothing', async () => {
    await createService(wharf, 'app0', statelessService('bounded', { instanceNumber: 2 }));
    assertInvalid(await put('bounded', 'scale/0'), 'count');
    assertInvalid(await put('bounded', 'scale/51'), 'count');
    assertInvalid(await put('bounded', 'scale/abc'), 'count');
    assertInvalid(await put('bounded', 'scale/-1'), 'count');
    assert.equal((await get('bounded')).instanceNumber, 2);
  });

  it('refuses to scale a stateful service with 403 OperationForbbiden', async () => {
    await createService(wharf, 'app0', statefulService('single'));
    assertError(await put('single', 'scale/2'), 403, 'OperationForbbiden', 'single');
    assertError(await put('single', 'scale/1'), 403, 'OperationForbbiden', 'single');
    assert.equal((await get('single')).instanceNumber, 1);
  });

  it('scales a stopped service: instanceNumber changes, it stays stopped', async () => {
    await createService(wharf, 'app0', statelessService('dormant'));
    assertNoContent(await put('dormant', 'stop'));
    await waitStopped('dormant');
    assertNoContent(await put('dormant', 'scale/3'));
    const scaled = await get('dormant');
    assert.equal(scaled.instanceNumber, 3);
    assert.ok(isStopped(scaled), 'isStopped(scaled)');
    assert.equal(scaled.status.desire, 0);

    assertNoContent(await put('dormant', 'start'));
    assert.equal((await waitRunning('dormant')).pods.length, 3);
  });

  it('stops and starts a stateful service', async () => {
    await createService(wharf, 'app0', statefulService('keeper'));
    await waitRunning('keeper');
    assertNoContent(await put('keeper', 'stop'));
    await waitStopped('keeper');
    assertNoContent(await put('keeper', 'start'));
    const running = await waitRunning('keeper');
    assert.deepEqual(running.pods.map((pod: any) => pod.name), ['app0-keeper-0']);
  });

  it('answers 404 for the actions of a missing service or app', async () => {
    for (const action of ['stop', 'start', 'scale/2']) {
      assertError(await put('missing', action), 404, 'ServiceNotFound', 'missing');
      assertError(await wharf.request('PUT', paths.action('noapp', 'web', action)), 404, 'AppNotFound', 'noapp');
    }
  });
});
