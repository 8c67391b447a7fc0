import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkQueue } from '../../src/controller/work-queue.js';

const BACKOFF = { baseDelayMs: 5, maxDelayMs: 40 };
const PENDING = Symbol('pending');

/** What a promise has settled to once every queued callback ran, or PENDING. */
async function settled<T>(promise: Promise<T>): Promise<T | typeof PENDING> {
  const marker = new Promise<typeof PENDING>((resolve) => setImmediate(() => resolve(PENDING)));
  return Promise.race([promise, marker]);
}

const activeTimers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

describe('WorkQueue', () => {
  it('queues a key at most once', async () => {
    const queue = new WorkQueue(BACKOFF);
    queue.add('a');
    queue.add('b');
    queue.add('a');
    assert.equal(queue.length, 2);
    assert.equal(await queue.get(), 'a');
    assert.equal(await queue.get(), 'b');
    assert.equal(await settled(queue.get()), PENDING);
    queue.shutdown();
  });

  it('hands a waiting worker the next key added', async () => {
    const queue = new WorkQueue(BACKOFF);
    const waiting = queue.get();
    assert.equal(await settled(waiting), PENDING);
    queue.add('a');
    assert.equal(await waiting, 'a');
    queue.shutdown();
  });

  it('never hands one key to two workers at once, and processes a key re-added meanwhile once more after', async () => {
    const queue = new WorkQueue(BACKOFF);
    queue.add('a');
    assert.equal(await queue.get(), 'a');
    const second = queue.get();
    queue.add('a');
    queue.add('a');
    assert.equal(queue.length, 0);
    assert.equal(await settled(second), PENDING, 'a is still being processed');

    queue.done('a');
    assert.equal(await second, 'a');
    queue.done('a');
    assert.equal(await settled(queue.get()), PENDING, 'processed once more, not twice');
    queue.shutdown();
  });

  it('lets other keys through while one is processed', async () => {
    const queue = new WorkQueue(BACKOFF);
    queue.add('a');
    assert.equal(await queue.get(), 'a');
    queue.add('a');
    queue.add('b');
    assert.equal(await queue.get(), 'b');
    queue.done('a');
    assert.equal(await queue.get(), 'a');
    queue.shutdown();
  });

  it('doubles the backoff with each failure up to the maximum, and starts over after forget', () => {
    const queue = new WorkQueue(BACKOFF);
    const delays = Array.from({ length: 6 }, () => queue.addRateLimited('a'));
    assert.deepEqual(delays, [5, 10, 20, 40, 40, 40]);
    assert.equal(queue.addRateLimited('b'), 5, 'each key has its own count');
    queue.forget('a');
    assert.equal(queue.addRateLimited('a'), 5);
    queue.shutdown();
  });

  it('brings a failed key back after its delay', async () => {
    const queue = new WorkQueue(BACKOFF);
    queue.add('a');
    const key = await queue.get();
    queue.addRateLimited('a');
    queue.done('a');
    assert.equal(queue.length, 0, 'not before the delay');
    assert.equal(await queue.get(), key);
    queue.shutdown();
  });

  it('releases every waiting worker on shutdown, and hands out nothing after', async () => {
    const queue = new WorkQueue(BACKOFF);
    const waiters = [queue.get(), queue.get(), queue.get()];
    queue.shutdown();
    assert.deepEqual(await Promise.all(waiters), [undefined, undefined, undefined]);
    queue.add('a');
    assert.equal(await queue.get(), undefined);
  });

  it('drops pending retries on shutdown and schedules none after', () => {
    const queue = new WorkQueue({ baseDelayMs: 60_000, maxDelayMs: 60_000 });
    const before = activeTimers();
    queue.addRateLimited('a');
    assert.equal(activeTimers(), before + 1);
    queue.shutdown();
    assert.equal(activeTimers(), before);
    queue.addRateLimited('b');
    assert.equal(activeTimers(), before, 'a retry after shutdown would hold the process open');
  });
});
