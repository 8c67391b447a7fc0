import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { EngineWatch } from '../../../src/runtime/docker/engine-watch.js';
import { RegionClaimedError } from '../../../src/runtime/docker/ownership.js';
import { PodCache } from '../../../src/runtime/docker/pod-cache.js';

const owner = { region: 'eu', instanceId: 'a1b2c3' };

/** An engine that answers: an event stream per connect, an empty listing. */
function fakeEngine() {
  const streams: PassThrough[] = [];
  let listings = 0;
  const docker = {
    getEvents: async () => {
      const stream = new PassThrough();
      streams.push(stream);
      return stream;
    },
    listContainers: async () => {
      listings++;
      return [];
    },
  } as unknown as Docker;
  return { docker, streams, listings: () => listings };
}

function recordingLog() {
  const errors: string[] = [];
  const log = { info: () => {}, warn: () => {}, error: (_fields: unknown, message: string) => errors.push(message) } as unknown as Logger;
  return { log, errors };
}

const claimedBy = () => new RegionClaimedError('region "eu" belongs to Wharf instance ffffff');
const options = { resyncIntervalMs: 60_000, reconnectIntervalMs: 10 };

describe('EngineWatch and the region claim', () => {
  test('a claim held by another Wharf when the engine answers at start fails the start', async () => {
    const engine = fakeEngine();
    const { log } = recordingLog();
    const watch = new EngineWatch(engine.docker, owner, new PodCache(), () => {}, async () => { throw claimedBy(); }, log, options);
    await assert.rejects(watch.start(), RegionClaimedError);
    assert.equal(watch.connected, false);
    assert.equal(engine.listings(), 0, 'nothing was listed');
    watch.close();
  });

  test('a claim lost before a reconnect keeps the region disconnected, logged on every retry, nothing listed', async () => {
    const engine = fakeEngine();
    const { log, errors } = recordingLog();
    let claimed = false;
    const watch = new EngineWatch(engine.docker, owner, new PodCache(), () => {}, async () => { if (claimed) throw claimedBy(); }, log, options);
    await watch.start();
    assert.equal(watch.connected, true);
    const listedAtStart = engine.listings();

    claimed = true;
    engine.streams[0]!.end(); // dockerd restarted
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(watch.connected, false);
    assert.ok(errors.length >= 2, `the refusal is logged on every retry (${errors.length} times)`);
    assert.equal(engine.listings(), listedAtStart, 'nothing was listed after the claim was lost');
    watch.close();
  });

  test('a reconnect after the event stream ended is counted once; the first connection is not', async () => {
    const engine = fakeEngine();
    const { log } = recordingLog();
    let reconnects = 0;
    const watch = new EngineWatch(engine.docker, owner, new PodCache(), () => {}, async () => {}, log, { ...options, reconnected: () => reconnects++ });
    await watch.start();
    assert.equal(reconnects, 0, 'the first connection is no reconnect');
    engine.streams[0]!.end(); // dockerd restarted
    const deadline = Date.now() + 5000;
    while (engine.streams.length < 2 || !watch.connected) {
      assert.ok(Date.now() < deadline, 'reconnected within 5 s');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(reconnects, 1);
    watch.close();
  });
});
