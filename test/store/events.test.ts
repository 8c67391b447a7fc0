import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { EventInput } from '../../src/domain/events.js';
import type { ServiceKey } from '../../src/domain/keys.js';
import { createService, scaleService } from '../../src/domain/service.js';
import { STORE_TEST_POLICY as POLICY } from '../domain/fixtures.js';
import { openTestDatabase, TEST_ENGINE } from '../support/database.js';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/store/database.js';
import { StoreEventRecorder } from '../../src/store/event-recorder.js';
import { EventStore } from '../../src/store/events.js';
import { migrateToLatest } from '../../src/store/migrations.js';
import { Store } from '../../src/store/store.js';

const NOW = Date.parse('2026-01-01T00:00:00.000Z');
const at = (seconds: number): string => new Date(NOW + seconds * 1000).toISOString();
const app = { region: 'local', project: 'ev', app: 'shop' };
const keyOf = (service: string): ServiceKey => ({ ...app, service });

describe(`events in the store (${TEST_ENGINE})`, () => {
  let dataDir: string;
  let store: Store;
  let drop: () => Promise<void>;
  let db: Kysely<Database>;
  const RETENTION = { maxPerService: 5, maxAgeSeconds: 3600 };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-events-'));
    const opened = await openTestDatabase(dataDir);
    drop = opened.drop;
    db = opened.db;
    await migrateToLatest(opened.db);
    store = new Store(opened.db, { volumeDefaults: () => ({ sizeGi: 1, storage: { storageType: 'local', fsType: 'ext4' } }), events: RETENTION });
    await store.createApp(app, at(0), ['web', 'db', 'gone'].map((name) =>
      createService(keyOf(name), { name, type: 'stateless', resourceSpec: '1U1G', containers: [{ image: 'nginx' }] }, POLICY, { uid: `uid-${name}`, now: at(0) }),
    ));
  });
  after(async () => {
    await store.close();
    await drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const crash = (service: string, seconds: number, extra: Partial<EventInput> = {}): EventInput =>
    ({ key: keyOf(service), type: 'Warning', reason: 'BackOff', message: 'back-off restarting failed container main', pod: 'p1', container: 'main', time: at(seconds), ...extra });
  const list = (service: string) => store.events.list({ service: keyOf(service) }, {}, NOW + 60_000);

  it('records a creation with the service, in its transaction', async () => {
    const [created] = await list('web');
    assert.equal(created?.reason, 'Created');
    assert.equal(created?.revision, 1);
    assert.equal(created?.count, 1);
    assert.equal(created?.time, at(0));
    assert.equal(created?.firstTime, at(0));
  });

  it('folds a repeat into one event: count and time grow, firstTime stays, and it takes a new id after every other', async () => {
    await store.recordEvents([crash('web', 1)], NOW);
    const [first] = (await list('web')).filter((event) => event.reason === 'BackOff');
    await store.recordEvents([{ key: keyOf('web'), type: 'Normal', reason: 'Started', message: 'started container main', pod: 'p1', container: 'main', time: at(2) }], NOW);
    await store.recordEvents([crash('web', 3)], NOW);
    const events = await list('web');
    const backOffs = events.filter((event) => event.reason === 'BackOff');
    assert.equal(backOffs.length, 1, 'folded');
    assert.equal(backOffs[0]!.count, 2);
    assert.equal(backOffs[0]!.firstTime, at(1));
    assert.equal(backOffs[0]!.time, at(3));
    assert.ok(backOffs[0]!.id > first!.id, 'a new id');
    assert.equal(events.at(-1)!.reason, 'BackOff', 'listed after what happened since its first time');
    const ids = events.map((event) => event.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
  });

  it('does not fold what differs in type, message, pod or container, nor across services', async () => {
    await store.recordEvents([
      crash('web', 4, { pod: 'p2' }),
      crash('web', 4, { container: 'side' }),
      crash('web', 4, { message: 'another message' }),
      crash('db', 4),
    ], NOW);
    assert.equal((await list('web')).filter((event) => event.reason === 'BackOff').length, 4);
    assert.equal((await list('db')).filter((event) => event.reason === 'BackOff').length, 1);
  });

  it('keeps at most maxPerService events of a service, dropping its oldest; other services keep theirs', async () => {
    const web = await list('web');
    assert.equal(web.length, RETENTION.maxPerService, `at most ${RETENTION.maxPerService}: ${web.map((event) => event.reason)}`);
    assert.ok(!web.some((event) => event.reason === 'Created'), 'the oldest went');
    assert.ok((await list('db')).some((event) => event.reason === 'Created'), 'another service keeps its own');
  });

  it('lists a project oldest first, since a time, and after an id', async () => {
    const all = await store.events.list({ region: 'local', project: 'ev' }, {}, NOW + 60_000);
    assert.deepEqual([...new Set(all.map((event) => event.key.service))].sort(), ['db', 'gone', 'web']);
    const since = await store.events.list({ region: 'local', project: 'ev' }, { since: at(4) }, NOW + 60_000);
    assert.ok(since.length > 0 && since.every((event) => event.time >= at(4)), 'only since');
    const after = await store.events.list({ region: 'local', project: 'ev' }, { afterId: all[1]!.id }, NOW + 60_000);
    assert.deepEqual(after.map((event) => event.id), all.slice(2).map((event) => event.id));
  });

  it('drops events older than maxAgeSeconds, and never lists them', async () => {
    await store.recordEvents([crash('db', 10, { reason: 'Unhealthy', message: 'old news' })], NOW);
    const late = NOW + (RETENTION.maxAgeSeconds + 15) * 1000;
    const listedLate = await store.events.list({ service: keyOf('db') }, {}, late);
    assert.ok(!listedLate.some((event) => event.reason === 'Unhealthy'), 'past the age: not listed');
    await store.recordEvents([crash('db', RETENTION.maxAgeSeconds + 15, { reason: 'Pulled', message: 'fresh' })], late);
    const kept = await store.events.list({ service: keyOf('db') }, {}, NOW);
    assert.deepEqual(kept.map((event) => event.reason), ['Pulled'], 'the older ones were deleted by the write');
  });

  it('records a change\'s events only if its transaction commits', async () => {
    const before = (await list('web')).length;
    const events = new EventStore(db, RETENTION);
    await assert.rejects(db.transaction().execute(async (trx) => {
      await events.recordIn(trx, [crash('web', 20, { reason: 'Scaled', message: 'rolled back' })], at(20));
      throw new Error('refused after its events were written');
    }), /refused/);
    assert.equal((await list('web')).length, before, 'nothing recorded');
    await store.updateService(keyOf('web'), 10, (current) => scaleService(current, 3, POLICY, at(21)));
    assert.equal((await list('web')).at(-1)?.reason, 'Scaled');
  });

  it('tells its listeners after a commit that recorded events, and drops the events of a deleted service with it', async () => {
    let told = 0;
    const stop = store.events.onRecorded(() => told++);
    await store.recordEvents([crash('gone', 30)], NOW);
    assert.equal(told, 1);
    stop();
    await store.deleteService(keyOf('gone'));
    assert.ok(!(await store.events.list({ region: 'local', project: 'ev' }, {}, NOW + 60_000)).some((event) => event.key.service === 'gone'), 'deleted with it');
    // What an engine reports of a service deleted meanwhile has nothing to be listed under: dropped.
    await store.recordEvents([crash('gone', 31)], NOW);
    assert.ok(!(await store.events.list({ region: 'local', project: 'ev' }, {}, NOW + 60_000)).some((event) => event.key.service === 'gone'), 'not recorded');
  });

  it('the recorder writes the events of several turns of the loop in one commit, and at once for a caller that waits', async () => {
    const writes: number[] = [];
    const counting = new Proxy(store, {
      get: (target, name) => (name === 'recordEvents' ? (events: EventInput[]) => (writes.push(events.length), target.recordEvents(events)) : Reflect.get(target, name)),
    });
    // Gathering longer than the test: only a write the waiting caller asks for can end it.
    const recorder = new StoreEventRecorder(counting, pino({ level: 'silent' }), 600_000);
    for (let turn = 0; turn < 5; turn++) {
      recorder.record(crash('web', 50 + turn, { reason: 'Pulled', message: `gathered ${turn}` }));
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.deepEqual(writes, [], 'nothing written yet: the events gather');
    await recorder.flushed();
    assert.deepEqual(writes, [5], 'one commit for the five');
    await recorder.close();
  });

  it('the recorder never throws: a write that fails is logged and the next ones are written', async () => {
    const lines: string[] = [];
    const recorder = new StoreEventRecorder(store, pino({ level: 'error' }, { write: (line: string) => lines.push(line) }));
    recorder.record({ ...crash('web', 40), time: 'not a time' });
    await recorder.flushed();
    assert.equal(lines.length, 1, 'the failure is logged');
    assert.match(lines[0]!, /could not be written/);
    // Now: the recorder's writes drop what is past the retention's age, by the clock.
    recorder.record({ ...crash('web', 41, { reason: 'Killing', message: 'after the failure' }), time: new Date().toISOString() });
    await recorder.flushed();
    const events = await store.events.list({ service: keyOf('web') });
    assert.deepEqual(events.map((event) => event.message), ['after the failure']);
    await recorder.close();
  });
});
