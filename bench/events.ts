// Events in the store: how fast engine events are written through the recorder (a crash loop's
// repeats fold, distinct events insert), and how long a service's and a project's list take when
// every service holds its maximum. SQLite in a temporary directory, in process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../src/config.js';
import type { EventInput } from '../src/domain/events.js';
import { createService } from '../src/domain/service.js';
import { regionPolicy } from '../src/regions.js';
import { openSqlite } from '../src/store/database.js';
import { StoreEventRecorder } from '../src/store/event-recorder.js';
import { DEFAULT_EVENT_RETENTION } from '../src/store/events.js';
import { migrateToLatest } from '../src/store/migrations.js';
import { Store } from '../src/store/store.js';

const SERVICES = 50;
const RECORDED = 20_000;
const LISTS = 200;
const POLICY = regionPolicy(loadConfig({}).regions[0]!, 'simulated');

export interface EventsBenchResult {
  foldedPerSecond: number;
  distinctPerSecond: number;
  serviceListMs: number;
  projectListMs: number;
  projectEvents: number;
}

export async function benchEvents(): Promise<EventsBenchResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'wharf-bench-events-'));
  const db = openSqlite(dataDir);
  await migrateToLatest(db);
  const store = new Store(db, { volumeDefaults: () => ({ sizeGi: 1, storage: { storageType: 'local', fsType: 'ext4' } }) });
  const recorder = new StoreEventRecorder(store, pino({ level: 'silent' }));
  try {
    const app = { region: 'local', project: 'bench', app: 'shop' };
    const now = new Date().toISOString();
    await store.createApp(app, now, Array.from({ length: SERVICES }, (_, index) =>
      createService({ ...app, service: `s${index}` }, { name: `s${index}`, type: 'stateless', resourceSpec: '1U1G', containers: [{ image: 'nginx' }] }, POLICY, { uid: `u${index}`, now }),
    ));
    const event = (index: number, distinct: boolean): EventInput => ({
      key: { ...app, service: `s${index % SERVICES}` },
      type: 'Warning',
      reason: 'BackOff',
      message: distinct ? `back-off restarting failed container main (${index})` : 'back-off restarting failed container main',
      pod: 'p1',
      container: 'main',
    });
    const rate = async (distinct: boolean): Promise<number> => {
      const started = performance.now();
      for (let index = 0; index < RECORDED; index++) recorder.record(event(index, distinct));
      await recorder.flushed();
      return RECORDED / ((performance.now() - started) / 1000);
    };
    const foldedPerSecond = await rate(false);
    // Distinct events fill every service to its maximum: the lists below read full services.
    const distinctPerSecond = await rate(true);
    const timed = async (list: () => Promise<unknown>): Promise<number> => {
      const started = performance.now();
      for (let index = 0; index < LISTS; index++) await list();
      return (performance.now() - started) / LISTS;
    };
    const serviceListMs = await timed(() => store.events.list({ service: { ...app, service: 's0' } }));
    const projectListMs = await timed(() => store.events.list({ region: 'local', project: 'bench' }));
    const projectEvents = (await store.events.list({ region: 'local', project: 'bench' })).length;
    return { foldedPerSecond, distinctPerSecond, serviceListMs, projectListMs, projectEvents };
  } finally {
    await recorder.close();
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export function formatEvents(result: EventsBenchResult): string {
  return [
    `Events (SQLite, ${SERVICES} services, at most ${DEFAULT_EVENT_RETENTION.maxPerService} kept each):`,
    `  recorded through the queue: ${result.foldedPerSecond.toFixed(0)}/s repeats (folded), ${result.distinctPerSecond.toFixed(0)}/s distinct`,
    `  list one service (${DEFAULT_EVENT_RETENTION.maxPerService} events): ${result.serviceListMs.toFixed(2)} ms; the project (${result.projectEvents} events): ${result.projectListMs.toFixed(1)} ms`,
  ].join('\n');
}
