import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { ProjectResources, type ProjectResourceOptions } from '../../src/controller/project-resources.js';
import type { ProjectResourceKey } from '../../src/domain/deletion.js';
import { WharfError } from '../../src/domain/errors.js';
import type { Region } from '../../src/regions.js';
import { RuntimeUnavailableError, type Runtime } from '../../src/runtime/runtime.js';
import { openTestDatabase } from '../support/database.js';
import { migrateToLatest } from '../../src/store/migrations.js';
import { Store } from '../../src/store/store.js';
import { eventually } from '../support/api.js';
import { EngineChanges } from '../../src/runtime/engine-changes.js';

const NOW = '2026-01-01T00:00:00.000Z';
const OPTIONS: ProjectResourceOptions = { workers: 2, backoff: { baseDelayMs: 20, maxDelayMs: 160 }, engineTimeoutMs: 150 };
const ref = (name: string) => ({ region: 'local', project: 'del', name });
const volumeKey = (name: string): ProjectResourceKey => ({ kind: 'volume', ...ref(name) });

/** One engine call the fake runtime received, and when. */
interface Call {
  what: string;
  at: number;
}

/** A runtime that answers each delete call with what `answer` says. */
function fakeRuntime(answer: (call: Call, count: number) => Promise<void>): Runtime & { calls: Call[] } {
  const calls: Call[] = [];
  const record = (what: string): Promise<void> => {
    const call = { what, at: Date.now() };
    calls.push(call);
    return answer(call, calls.length);
  };
  return {
    kind: 'simulated',
    description: 'a fake engine for the deletion tests',
    rollouts: 'wharf',
    calls,
    start: async () => {},
    close: async () => {},
    known: true,
    observe: () => ({ known: true, pods: [] }),
    observedKeys: () => [],
    execute: async () => {},
    exec: () => Promise.reject(new Error('the deletion tests run no command')),
    volumeStatus: () => ({ status: 'success', message: '' }),
    logs: async () => { throw new Error('the deletion tests read no log'); },
    stats: async () => { throw new Error('the deletion tests read no stats'); },
    createVolume: (volume) => void record(`create volume ${volume.project}/${volume.name} ${volume.sizeGi}Gi ${volume.storageType}`),
    deleteVolume: (project, name) => record(`volume ${project}/${name}`),
    deleteConfigMap: (project, name) => record(`configMap ${project}/${name}`),
  };
}

describe('the deletions of ConfigMaps and volumes (controller)', () => {
  let dataDir: string;
  let store: Store;
  let drop: () => Promise<void>;
  let deletions: ProjectResources | undefined;
  const logLines: Array<{ level: number; msg: string }> = [];

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-deletions-'));
    const opened = await openTestDatabase(dataDir);
    const db = opened.db;
    drop = opened.drop;
    await migrateToLatest(db);
    store = new Store(db, { volumeDefaults: () => ({ sizeGi: 10, storage: { storageType: 'local', fsType: 'ext4' } }) });
    logLines.length = 0;
  });
  afterEach(async () => {
    await deletions?.close();
    deletions = undefined;
    await store.close();
    await drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(runtime: Runtime): Promise<void> {
    const region = { name: 'local', runtime, changes: new EngineChanges(), storageTypes: [], policy: {} } as unknown as Region;
    const log = pino({ level: 'info' }, new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
        done();
      },
    }));
    deletions = new ProjectResources(store, new Map([['local', region]]), log, OPTIONS);
    await deletions.start();
  }

  const createVolume = (name: string) => store.volumes.create(ref(name), 1, { storageType: 'local', fsType: 'ext4' }, NOW);
  const gone = (name: string) => eventually(() => store.volumes.get(ref(name)).then(() => false, () => true), (isGone) => isGone, 3000);

  it('makes a volume on the engine when the API creates it, woken by the change feed', async () => {
    const runtime = fakeRuntime(async () => {});
    await start(runtime);
    await createVolume('made');
    await eventually(async () => runtime.calls.map((call) => call.what), (calls) => calls.length > 0, 3000);
    assert.deepEqual(runtime.calls.map((call) => call.what), ['create volume del/made 1Gi local']);
  });

  it('retries a transient failure with a backoff that doubles, shows each failure on the volume, and deletes the row once the engine removed it', async () => {
    const failures = [
      new RuntimeUnavailableError('the engine does not answer'),
      new WharfError('VolumeInUse', 'volume "data" is still held by a container being removed'),
      new RuntimeUnavailableError('the engine does not answer'),
      new RuntimeUnavailableError('the engine does not answer, still'),
    ];
    const seen: string[] = [];
    const runtime = fakeRuntime(async (_call, count) => {
      // What the API shows while this attempt runs: the previous attempt's failure.
      seen.push((await store.volumes.get(ref('data'))).volume.deleting?.message ?? 'not deleting');
      const failure = failures[count - 1];
      if (failure) throw failure;
    });
    await createVolume('data');
    await start(runtime);
    await store.volumes.delete(ref('data'), NOW);
    await gone('data');

    assert.deepEqual(runtime.calls.map((call) => call.what), Array(5).fill('volume del/data'), 'four failures, then the one that removed it');
    assert.deepEqual(seen, ['', ...failures.map((failure) => failure.message)], 'each failure was on the volume while the next attempt ran');
    const waits = runtime.calls.slice(1).map((call, i) => call.at - runtime.calls[i]!.at);
    for (const [i, wait] of waits.entries()) {
      // Timers may fire late, never early; a little slack for the clock's granularity.
      assert.ok(wait >= OPTIONS.backoff.baseDelayMs * 2 ** i - 5, `retry ${i + 1} came after ${wait} ms, not the backoff's ${OPTIONS.backoff.baseDelayMs * 2 ** i} ms: ${waits.join(', ')}`);
    }
    assert.ok(logLines.some((line) => line.level === 30 && line.msg === 'volume "data" in project "del" deleted'), 'the deletion is logged');
  });

  it('leaves an engine object of someone else untouched: one attempt, Wharf\'s record deleted, a warning naming it', async () => {
    const runtime = fakeRuntime(async () => {
      throw new WharfError('OperationForbbiden', 'volume wharf_local_del_theirs is labelled io.wharf.instance=ffffffffffff; it was not deleted');
    });
    await createVolume('theirs');
    await start(runtime);
    await store.volumes.delete(ref('theirs'), NOW);
    await gone('theirs');
    await new Promise((resolve) => setTimeout(resolve, OPTIONS.backoff.baseDelayMs * 4));
    assert.equal(runtime.calls.length, 1, 'a refusal of that kind is never retried');
    const warning = logLines.find((line) => line.level === 40);
    assert.ok(warning, `a warning is logged: ${JSON.stringify(logLines)}`);
    assert.match(warning.msg, /volume "theirs" in project "del": the engine object of that name belongs to someone else and was left untouched/);
    assert.match(JSON.stringify(warning), /io\.wharf\.instance=ffffffffffff/, 'the warning says whose it is');
  });

  it('counts an engine call that does not answer within engineTimeoutMs as failed, shows it, and tries again', async () => {
    const runtime = fakeRuntime((_call, count) => (count === 1 ? new Promise<void>(() => {}) : Promise.resolve()));
    await createVolume('slow');
    await start(runtime);
    await store.volumes.delete(ref('slow'), NOW);
    const failed = await eventually(() => store.deletions.find(volumeKey('slow')), (state) => state?.message !== '', 3000);
    assert.equal(failed?.message, 'the engine did not answer within 0.15 s');
    await gone('slow');
    assert.equal(runtime.calls.length, 2);
  });

  it('commits every other write while an engine call is under way: the call is outside any transaction', async () => {
    const release: Array<() => void> = [];
    const runtime = fakeRuntime(() => new Promise<void>((resolve) => release.push(resolve)));
    await createVolume('held');
    await start(runtime);
    await store.volumes.delete(ref('held'), NOW);
    await eventually(async () => runtime.calls.length, (count) => count === 1);
    const started = Date.now();
    await createVolume('other');
    await store.configMaps.create(ref('cm'), { key: 'value' }, NOW);
    await store.configMaps.delete(ref('cm'), NOW);
    assert.ok(Date.now() - started < 2000, `three writes took ${Date.now() - started} ms while the engine held a deletion`);
    release.forEach((resolve) => resolve());
    await gone('held');
  });

  it('resumes at start the deletions a previous run left pending, ConfigMaps and volumes, and never engine-deletes what is not being deleted', async () => {
    await createVolume('left');
    await createVolume('kept');
    await store.configMaps.create(ref('left'), {}, NOW);
    await store.volumes.delete(ref('left'), NOW);
    await store.configMaps.delete(ref('left'), NOW);
    assert.deepEqual(await store.deletions.pending('local'), [{ kind: 'configMap', ...ref('left') }, volumeKey('left')]);

    const runtime = fakeRuntime(async () => {});
    await start(runtime);
    await gone('left');
    await eventually(() => store.configMaps.list('local', 'del'), (list) => list.length === 0, 3000);
    assert.deepEqual(runtime.calls.map((call) => call.what).sort(), ['configMap del/left', 'volume del/left']);
    assert.deepEqual((await store.volumes.list('local', 'del')).map((use) => use.volume.name), ['kept']);
    assert.deepEqual(await store.deletions.pending('local'), []);
  });

  it('deletes the row at once on a runtime that keeps nothing of the kind on the engine', async () => {
    const runtime = fakeRuntime(async () => {});
    delete runtime.deleteVolume;
    await createVolume('nothing');
    await start(runtime);
    await store.volumes.delete(ref('nothing'), NOW);
    await gone('nothing');
    assert.equal(runtime.calls.length, 0);
  });
});
