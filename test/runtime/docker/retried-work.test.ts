import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import { sleep } from '../../../src/runtime/docker/retried-work.js';

describe('the retry wait of a pod creation or removal', () => {
  it('leaves no abort listener behind once it has waited, however many retries (MaxListenersExceededWarning)', async () => {
    const wake = new AbortController();
    for (let retry = 0; retry < 20; retry++) await sleep(1, wake.signal);
    assert.equal(getEventListeners(wake.signal, 'abort').length, 0);
  });

  it('ends at once when the work is cancelled', async () => {
    const wake = new AbortController();
    const started = Date.now();
    const waiting = sleep(60_000, wake.signal);
    wake.abort();
    await waiting;
    assert.ok(Date.now() - started < 1000, 'the wait ended with the abort');
  });
});
