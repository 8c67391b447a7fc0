import type { Selectable, Transaction } from 'kysely';
import type { EventInput, EventType } from '../domain/events.js';
import { keyString, type ServiceKey } from '../domain/keys.js';
import type { Database, EventsTable } from './database.js';
import { placeholder, reusableQuery } from './reusable-query.js';
import type { Executor } from './store-access.js';

/** How many events are kept, and how long: what `GET …/events` can show at most. */
export interface EventRetention {
  /** Per service: past it, its oldest events go. */
  maxPerService: number;
  /** An event not repeated for this long goes. */
  maxAgeSeconds: number;
}

export const DEFAULT_EVENT_RETENTION: EventRetention = { maxPerService: 100, maxAgeSeconds: 24 * 3600 };

/** An event as kept: folded with its repeats (`count`, `firstTime`), numbered by its last one (`id`). */
export interface EventRecord extends Omit<EventInput, 'time'> {
  id: number;
  count: number;
  firstTime: string;
  time: string;
}

/** Which events a list wants: of a service or of every service of a project. */
export type EventScope = { service: ServiceKey } | { region: string; project: string };

export interface EventQuery {
  /** Only those recorded after this id (a watch resuming). */
  afterId?: number;
  /** Only those whose last occurrence is at or after this time (ISO 8601). */
  since?: string;
}

/**
 * The events of every service. Written inside the write transactions of the store (an API change
 * and its event commit together) or in a transaction of their own (what the controller and the
 * engines report); every write takes the store's write lock, so ids grow in commit order and a
 * watch reading "after id N" misses nothing committed.
 */
export class EventStore {
  private readonly listeners = new Set<() => void>();
  /** The transactions that recorded events: once one commits, the watches are told. */
  private readonly recordedIn = new WeakSet<Transaction<Database>>();
  /** Compiled once: a pod's start records several events, and building each query cost more than SQLite took to run it. */
  private readonly writes: ReturnType<typeof compileWrites>;

  constructor(private readonly db: Executor, readonly retention: EventRetention) {
    this.writes = compileWrites(db, retention);
  }

  /**
   * Inside a write transaction: records each event, folding it into a kept one of the same service,
   * type, reason, message, pod and container (as Kubernetes' event correlator does): that one's
   * count grows, its time is the new one, and it gets a new id. An event of a service that no longer
   * exists is dropped: it would have nothing to be listed under.
   */
  async recordIn(trx: Transaction<Database>, events: readonly EventInput[], now: string): Promise<void> {
    const serviceIds = new Map<string, number | undefined>();
    for (const event of events) {
      const keyText = keyString(event.key);
      if (!serviceIds.has(keyText)) serviceIds.set(keyText, (await this.writes.serviceId(trx, event.key))[0]?.id);
      const service = serviceIds.get(keyText);
      if (service === undefined) continue;
      const row = {
        service_id: service,
        type: event.type,
        reason: event.reason,
        message: event.message,
        pod: event.pod ?? '',
        container: event.container ?? '',
      };
      const time = event.time === undefined ? now : new Date(event.time).toISOString();
      const [repeated] = await this.writes.repeated(trx, row);
      if (repeated) await this.writes.remove(trx, { id: repeated.id });
      await this.writes.insert(trx, {
        ...row,
        revision: event.revision ?? null,
        count: (repeated?.count ?? 0) + 1,
        first_time: repeated?.first_time ?? time,
        time: repeated && repeated.time > time ? repeated.time : time,
      });
      this.recordedIn.add(trx);
    }
    // Once per service of the batch, not per event: a crash loop's batch is many events of one service.
    for (const service of new Set(serviceIds.values())) if (service !== undefined) await this.writes.pruneService(trx, { service });
  }

  /** Whether the transaction recorded events (then its commit is announced even when it changed no service). */
  hasRecorded(trx: Transaction<Database>): boolean {
    return this.recordedIn.has(trx);
  }

  /** Events were committed (here, or by another replica): the watches read what is new. */
  recorded(): void {
    for (const listener of this.listeners) listener();
  }

  /** Calls `listener` whenever events were committed; returns what stops it. */
  onRecorded(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Oldest first (by the time of their last occurrence, the order they were recorded in); none older than the retention. */
  async list(scope: EventScope, query: EventQuery = {}, now = Date.now()): Promise<EventRecord[]> {
    const cutoff = new Date(now - this.retention.maxAgeSeconds * 1000).toISOString();
    const since = query.since !== undefined && query.since > cutoff ? query.since : cutoff;
    let select = this.db
      .selectFrom('events')
      .innerJoin('services', 'services.id', 'events.service_id')
      .innerJoin('apps', 'apps.id', 'services.app_id')
      .selectAll('events')
      .select(['apps.region', 'apps.project', 'apps.name as app', 'services.name as service'])
      .where('events.time', '>=', since)
      .where('apps.region', '=', 'service' in scope ? scope.service.region : scope.region)
      .where('apps.project', '=', 'service' in scope ? scope.service.project : scope.project);
    if ('service' in scope) select = select.where('apps.name', '=', scope.service.app).where('services.name', '=', scope.service.service);
    if (query.afterId !== undefined) select = select.where('events.id', '>', query.afterId);
    const rows = await select.orderBy('events.id').execute();
    return rows.map(toRecord);
  }

  /** Inside a write transaction: removes the events older than the retention allows. */
  async pruneOld(trx: Transaction<Database>, now: number): Promise<void> {
    const cutoff = new Date(now - this.retention.maxAgeSeconds * 1000).toISOString();
    await trx.deleteFrom('events').where('time', '<', cutoff).execute();
  }
}

/** The queries of `recordIn` (see reusableQuery). */
function compileWrites(db: Executor, retention: EventRetention) {
  type Row = Omit<EventsTable, 'id'>;
  const column = <Name extends keyof Row>(name: Name): Row[Name] => placeholder<Row[Name]>(name);
  const service = placeholder<number>('service');
  return {
    serviceId: reusableQuery<{ id: number }, keyof ServiceKey>(
      db
        .selectFrom('services')
        .innerJoin('apps', 'apps.id', 'services.app_id')
        .select('services.id')
        .where('apps.region', '=', placeholder('region'))
        .where('apps.project', '=', placeholder('project'))
        .where('apps.name', '=', placeholder('app'))
        .where('services.name', '=', placeholder('service')),
    ),
    repeated: reusableQuery<Pick<Selectable<EventsTable>, 'id' | 'count' | 'first_time' | 'time'>, 'service_id' | 'reason' | 'pod' | 'container' | 'type' | 'message'>(
      db
        .selectFrom('events')
        .select(['id', 'count', 'first_time', 'time'])
        .where('service_id', '=', column('service_id'))
        .where('reason', '=', column('reason'))
        .where('pod', '=', column('pod'))
        .where('container', '=', column('container'))
        .where('type', '=', column('type'))
        .where('message', '=', column('message')),
    ),
    remove: reusableQuery<never, 'id'>(db.deleteFrom('events').where('id', '=', placeholder<number>('id'))),
    insert: reusableQuery<never, keyof Row>(
      db.insertInto('events').values({
        service_id: column('service_id'),
        type: column('type'),
        reason: column('reason'),
        message: column('message'),
        pod: column('pod'),
        container: column('container'),
        revision: column('revision'),
        count: column('count'),
        first_time: column('first_time'),
        time: column('time'),
      }),
    ),
    // Keeps the service's newest maxPerService events.
    pruneService: reusableQuery<never, 'service'>(
      db
        .deleteFrom('events')
        .where('service_id', '=', service)
        .where('id', '<=', (eb) => eb.selectFrom('events').select('id').where('service_id', '=', service).orderBy('id', 'desc').limit(1).offset(retention.maxPerService)),
    ),
  };
}

type EventRow = Selectable<EventsTable> & { region: string; project: string; app: string; service: string };

function toRecord(row: EventRow): EventRecord {
  return {
    id: Number(row.id),
    key: { region: row.region, project: row.project, app: row.app, service: row.service },
    type: row.type as EventType,
    reason: row.reason,
    message: row.message,
    ...(row.pod === '' ? {} : { pod: row.pod }),
    ...(row.container === '' ? {} : { container: row.container }),
    ...(row.revision === null ? {} : { revision: row.revision }),
    count: row.count,
    firstTime: row.first_time,
    time: row.time,
  };
}
