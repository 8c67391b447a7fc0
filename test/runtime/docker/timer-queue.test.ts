import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TimerQueue } from '../../../src/runtime/docker/timer-queue.js';
import { FakeClock } from './fake-clock.js';

function queue() {
  const clock = new FakeClock();
  const fired: Array<[string, number]> = [];
  const timers = new TimerQueue(clock, (key) => fired.push([key, clock.now()]));
  return { clock, fired, timers };
}

describe('TimerQueue: many deadlines, one timer', () => {
  test('keys fire in time order, each at its time, with a single timer pending however many are scheduled', async () => {
    const { clock, fired, timers } = queue();
    const start = clock.now();
    for (let i = 0; i < 500; i++) timers.schedule(`k${i}`, start + 1000 + ((i * 7919) % 500));
    assert.equal(clock.pending, 1, 'one timer for 500 deadlines');
    assert.equal(timers.size, 500);
    await clock.advance(2000);
    assert.equal(fired.length, 500);
    const times = fired.map(([, at]) => at);
    assert.deepEqual(times, [...times].sort((a, b) => a - b), 'in time order');
    for (const [key, at] of fired) assert.equal(at, start + 1000 + ((Number(key.slice(1)) * 7919) % 500), key);
    assert.equal(clock.pending, 0, 'nothing left: no timer');
  });

  test('a later schedule of a key replaces its earlier one; a cancelled key never fires', async () => {
    const { clock, fired, timers } = queue();
    const start = clock.now();
    timers.schedule('a', start + 100);
    timers.schedule('b', start + 200);
    timers.schedule('a', start + 300);
    timers.schedule('c', start + 50);
    timers.cancel('c');
    assert.equal(timers.has('c'), false);
    await clock.advance(1000);
    assert.deepEqual(fired, [['b', start + 200], ['a', start + 300]]);
  });

  test('an earlier deadline moves the one timer earlier; a key may schedule itself again when it fires', async () => {
    const clock = new FakeClock();
    const fired: number[] = [];
    const timers: TimerQueue = new TimerQueue(clock, (key) => {
      fired.push(clock.now());
      if (fired.length < 3) timers.schedule(key, clock.now() + 1000);
    });
    const start = clock.now();
    timers.schedule('x', start + 5000);
    timers.schedule('x', start + 10);
    assert.equal(clock.pending, 1);
    await clock.advance(10_000);
    assert.deepEqual(fired, [start + 10, start + 1010, start + 2010]);
  });

  test('close clears the timer; nothing fires after it', async () => {
    const { clock, fired, timers } = queue();
    timers.schedule('a', clock.now() + 10);
    timers.close();
    assert.equal(clock.pending, 0);
    timers.schedule('b', clock.now() + 10);
    await clock.advance(100);
    assert.deepEqual(fired, []);
  });
});
