import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Port, ServiceType } from '../model/service.js';
import type { QuotaLimits } from '../model/quota.js';
import { checkQuota, hasLimits, usageOf, type QuotaUsage, type SpecSize } from '../domain/quota.js';
import { withPodTemplateHash } from '../domain/configmaps.js';
import { WharfError } from '../domain/errors.js';
import type { EventInput } from '../domain/events.js';
import { serviceLabel, V2_APP, workloadBaseName, type ServiceKey } from '../domain/keys.js';
import type { RolloutRecord } from '../domain/rollout.js';
import { revisionsToPrune, type DesiredService, type RevisionRecord, type ServiceChange, type ServiceState } from '../domain/service.js';
import { configMapNames, type Template } from '../domain/template.js';
import type { ProjectResourceKey } from '../domain/deletion.js';
import { ConfigMapStore } from './configmaps.js';
import { announcement } from './change-listener.js';
import { isUniqueViolation, type AppsTable, type Database, type RevisionsTable, type ServicesTable } from './database.js';
import { DeletionStore } from './deletions.js';
import { DEFAULT_EVENT_RETENTION, EventStore, type EventRetention } from './events.js';
import { announce, isPostgres, lockWrites } from './postgres.js';
import { placeholder, reusableQuery } from './reusable-query.js';
import { ServiceCache } from './service-cache.js';
import type { Executor, StoreAccess } from './store-access.js';
import { QuotaStore } from './quotas.js';
import { VolumeStore, type VolumeDefaults } from './volumes.js';

export interface AppRecord {
  region: string;
  project: string;
  name: string;
  creationTime: string;
  services: DesiredService[];
}

export interface AppRef {
  region: string;
  project: string;
  app: string;
}

/**
 * Told what a committed write changed: the services, and the ConfigMaps and volumes that now have
 * engine work for the controller (a DELETE marked them deleting).
 */
export type CommitListener = (changed: ServiceKey[], resources: ProjectResourceKey[]) => void;

/** Reads a revision of the service being changed, inside the change's transaction. */
export type RevisionLookup = (revision: number) => Promise<RevisionRecord | undefined>;

export interface StoreOptions {
  /** What a volume a service of the region mounts before it exists is made with. */
  volumeDefaults: (region: string) => VolumeDefaults;
  /** The quotas of a region; absent: nothing is limited. */
  quotaPolicy?: (region: string) => QuotaPolicy;
  /** Told how long each write transaction took, committed or not (the metrics' histogram). */
  transactionTimed?: (seconds: number) => void;
  /** How many events are kept per service and for how long; absent: DEFAULT_EVENT_RETENTION. */
  events?: EventRetention;
}

/** What a region limits, and the resource specs usage is counted with. */
export interface QuotaPolicy {
  /** The region as a whole. */
  region: QuotaLimits;
  /** Each project the admin set no quota for. */
  project: QuotaLimits;
  specs: readonly SpecSize[];
}

const UNLIMITED: QuotaPolicy = { region: {}, project: {}, specs: [] };

const SERVICE_COLUMNS = [
  'services.id',
  'services.uid',
  'services.name',
  'services.type',
  'services.template',
  'services.instance_number',
  'services.stopped',
  'services.ports',
  'services.revision',
  'services.template_hash',
  'services.min_ready_seconds',
  'services.progress_deadline_seconds',
  'services.auto_rollback',
  'services.rollout',
  'services.created_at',
  'services.updated_at',
  'apps.region',
  'apps.project',
  'apps.name as app_name',
] as const;

/**
 * Desired state. Every write is one transaction, committed before the API answers; names are
 * claimed by unique constraints, so of two concurrent creates exactly one wins.
 */
export class Store {
  private readonly reads: ReturnType<typeof compileReads>;
  private readonly cache = new ServiceCache<DesiredService>();
  readonly configMaps: ConfigMapStore;
  readonly volumes: VolumeStore;
  readonly quotas: QuotaStore;
  /** ConfigMaps and volumes being deleted: the controller's side of their DELETE. */
  readonly deletions: DeletionStore;
  /** What happened to each service: written with the changes that caused it, or alone (recordEvents). */
  readonly events: EventStore;
  private readonly quotaPolicy: (region: string) => QuotaPolicy;
  private readonly commitListeners = new Set<CommitListener>();
  private readonly transactionTimed: (seconds: number) => void;
  /** On PostgreSQL: several replicas write, so writes lock each other out and announce what they changed. */
  private readonly postgres: boolean;
  /** Names this Store in its announcements, so it skips its own. */
  readonly origin = randomBytes(8).toString('hex');

  constructor(private readonly db: Kysely<Database>, options: StoreOptions) {
    this.reads = compileReads(db);
    this.postgres = isPostgres(db);
    this.events = new EventStore(db, options.events ?? DEFAULT_EVENT_RETENTION);
    const access: StoreAccess = {
      db,
      write: (changed, work, resources) => this.write(changed, work, resources),
      recordEvents: (trx, events) => this.events.recordIn(trx, events, new Date().toISOString()),
      servicesOfProject: async (executor, region, project) => (await this.reads.servicesOfProject(executor, { region, project })).map(toState),
    };
    this.configMaps = new ConfigMapStore(access);
    this.volumes = new VolumeStore(access, options.volumeDefaults);
    this.quotaPolicy = options.quotaPolicy ?? (() => UNLIMITED);
    this.transactionTimed = options.transactionTimed ?? (() => {});
    this.quotas = new QuotaStore(access, (region) => this.quotaPolicy(region).project);
    this.deletions = new DeletionStore(access);
  }

  /**
   * The change feed: after every committed write, the services it changed (created, changed,
   * deleted, or whose ConfigMaps changed), and the volumes it created and the ConfigMaps and volumes it marked deleting. The
   * controller wakes from it, never from a route. Returns the function that stops listening: a
   * replica's controller of a region listens only while it leads the region.
   */
  onCommit(listener: CommitListener): () => void {
    this.commitListeners.add(listener);
    return () => this.commitListeners.delete(listener);
  }

  /** Runs a write transaction, drops the cached services it may have changed, then tells the feed. */
  private async write<T>(changed: ServiceKey[], work: (trx: Transaction<Database>) => Promise<T>, resources: ProjectResourceKey[] = []): Promise<T> {
    let result: T;
    const started = performance.now();
    let recordedEvents = false;
    try {
      result = await this.db.transaction().execute(async (trx) => {
        if (this.postgres) await lockWrites(trx);
        const value = await work(trx);
        recordedEvents = this.events.hasRecorded(trx);
        // Events alone are announced too: other replicas' event watches wake on them.
        if (this.postgres && (changed.length > 0 || resources.length > 0 || recordedEvents)) await announce(trx, announcement(this.origin, changed, resources));
        return value;
      });
    } finally {
      this.transactionTimed((performance.now() - started) / 1000);
      this.cache.written(changed);
    }
    this.tell(changed, resources);
    if (recordedEvents) this.events.recorded();
    return result;
  }

  private tell(changed: ServiceKey[], resources: ProjectResourceKey[]): void {
    if (changed.length > 0 || resources.length > 0) {
      for (const listener of this.commitListeners) listener([...changed], [...resources]);
    }
  }

  /** Another replica committed a write (the PostgreSQL change feed): as if this one had. */
  remoteCommit(changed: ServiceKey[], resources: ProjectResourceKey[]): void {
    this.cache.written(changed);
    this.tell(changed, resources);
    // An announcement may be of events alone; a watch that finds nothing new sends nothing.
    this.events.recorded();
  }

  /**
   * Commits may have gone unannounced: drops the cache and tells the feed's listeners that every
   * service and every pending deletion changed, so the controller looks at each again.
   */
  async everythingChanged(): Promise<void> {
    this.cache.clear();
    const services = await this.db
      .selectFrom('services')
      .innerJoin('apps', 'apps.id', 'services.app_id')
      .select(['apps.region', 'apps.project', 'apps.name as app', 'services.name as service'])
      .execute();
    const resources: ProjectResourceKey[] = [];
    for (const region of await this.deletions.regions()) resources.push(...(await this.deletions.pending(region)));
    this.tell(services, resources);
    this.events.recorded();
  }

  /**
   * Records events in a transaction of their own (what the controller and the engines report), and
   * drops those past the retention's age.
   */
  async recordEvents(events: readonly EventInput[], now = Date.now()): Promise<void> {
    await this.write([], async (trx) => {
      await this.events.recordIn(trx, events, new Date(now).toISOString());
      await this.events.pruneOld(trx, now);
    });
  }

  /** Drops every cached service: the next reads go to the store. */
  expireCache(): void {
    this.cache.clear();
  }

  /** Whether other replicas' commits are being seen (see ServiceCache.trust). */
  listening(up: boolean): void {
    this.cache.trust(up);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  async createApp(ref: AppRef, now: string, services: ServiceChange[]): Promise<AppRecord> {
    return this.write(services.map((change) => change.state.key), async (trx) => {
      let appId: number;
      try {
        const row = await trx
          .insertInto('apps')
          .values({ region: ref.region, project: ref.project, name: ref.app, created_at: now })
          .returning('id')
          .executeTakeFirstOrThrow();
        appId = row.id;
      } catch (error) {
        if (isUniqueViolation(error)) throw new WharfError('AppExists', `app "${ref.app}" already exists in project "${ref.project}"`);
        throw error;
      }
      for (const change of services) {
        await insertService(trx, appId, change);
        await this.volumes.claim(trx, change.state, now);
      }
      await this.enforceQuotas(trx, ref, [], services.map((change) => change.state));
      await this.events.recordIn(trx, services.flatMap(eventsOf), now);
      return { ...ref, name: ref.app, creationTime: now, services: await this.desired(trx, services.map((change) => change.state)) };
    });
  }

  async listApps(region: string, project: string): Promise<AppRecord[]> {
    const apps = await this.reads.appsOfProject(this.db, { region, project });
    const servicesOf = new Map<string, DesiredService[]>();
    for (const state of await this.listProjectServices(region, project)) {
      const ofApp = servicesOf.get(state.key.app);
      if (ofApp) ofApp.push(state);
      else servicesOf.set(state.key.app, [state]);
    }
    return apps.map((app) => ({ region, project, name: app.name, creationTime: app.created_at, services: servicesOf.get(app.name) ?? [] }));
  }

  async getApp(ref: AppRef): Promise<AppRecord> {
    const app = await this.findApp(this.db, ref);
    const services = await this.listServices(ref);
    return { ...ref, name: app.name, creationTime: app.created_at, services };
  }

  /** Deletes an app and its services; returns the services so their workloads can be removed. */
  async deleteApp(ref: AppRef): Promise<ServiceKey[]> {
    const deleted: ServiceKey[] = [];
    return this.write(deleted, async (trx) => {
      const app = await this.findApp(trx, ref);
      const services = await trx.selectFrom('services').select('name').where('app_id', '=', app.id).execute();
      await trx.deleteFrom('apps').where('id', '=', app.id).execute();
      deleted.push(...services.map((row) => ({ ...ref, service: row.name })));
      return deleted;
    });
  }

  async createService(ref: AppRef, change: ServiceChange): Promise<DesiredService> {
    return this.write([change.state.key], async (trx) => {
      const app = ref.app === V2_APP ? await this.v2App(trx, ref, change.state.creationTime) : await this.findApp(trx, ref);
      await insertService(trx, app.id, change);
      await this.volumes.claim(trx, change.state, change.state.creationTime);
      await this.enforceQuotas(trx, ref, [], [change.state]);
      await this.events.recordIn(trx, eventsOf(change), change.state.creationTime);
      return this.desiredOne(trx, change.state);
    });
  }

  /** The seed answers SpaceNotFound here, and only here, for a project with nothing in the region. */
  async listServices(ref: AppRef): Promise<DesiredService[]> {
    const [anyApp] = await this.reads.anyAppOfProject(this.db, ref);
    if (!anyApp) throw new WharfError('SpaceNotFound', `project "${ref.project}" has nothing in region "${ref.region}"`);
    // The V2 app appears with the project's first V2 service: until then the project has none.
    if (ref.app !== V2_APP) await this.findApp(this.db, ref);
    const keys = await this.cache.readKeys(ref, () => this.reads.serviceKeysOfApp(this.db, ref));
    return this.listed(keys, () => this.reads.servicesOfApp(this.db, ref));
  }

  /** Every service of a project in the region, V1 apps' and V2 ones, by name; none: []. */
  async listProjectServices(region: string, project: string): Promise<DesiredService[]> {
    const scope = { region, project };
    const keys = await this.cache.readKeys(scope, () => this.reads.serviceKeysOfProject(this.db, scope));
    return this.listed(keys, () => this.reads.servicesOfProject(this.db, scope));
  }

  /**
   * The services of a list, through the cache: the few it misses (the ones written since it was
   * last read) one by one, many of them (a cold cache) with the list's own query, which reads all.
   */
  private listed(keys: ServiceKey[], readAll: () => Promise<ServiceRow[]>): Promise<DesiredService[]> {
    return this.cache.readMany(keys, async (missing) => {
      const rows = missing.length > FEW_MISSING ? await readAll() : (await Promise.all(missing.map((key) => this.reads.service(this.db, key)))).flat();
      return this.desired(this.db, rows.map(toState));
    });
  }

  async getService(key: ServiceKey): Promise<DesiredService> {
    const state = await this.findDesired(key);
    if (state) return state;
    throw await this.whyMissing(this.db, key);
  }

  /** The desired state of a service, or undefined when it does not exist (the controller's read). */
  async findDesired(key: ServiceKey): Promise<DesiredService | undefined> {
    return this.cache.read(key, async () => {
      const [row] = await this.reads.service(this.db, key);
      return row ? this.desiredOne(this.db, toState(row)) : undefined;
    });
  }

  async deleteService(key: ServiceKey): Promise<void> {
    await this.write([key], async (trx) => {
      const row = await this.findService(trx, key);
      await trx.deleteFrom('services').where('id', '=', row.id).execute();
    });
  }

  /**
   * Reads, changes and writes a service in one transaction, so concurrent changes never lose
   * each other. `change` is a pure domain function; it may throw a WharfError to refuse.
   */
  async updateService(
    key: ServiceKey,
    revisionHistoryLimit: number,
    change: (current: ServiceState, revisions: RevisionLookup) => ServiceChange | Promise<ServiceChange>,
  ): Promise<DesiredService> {
    return this.write([key], async (trx) => {
      const row = await this.findService(trx, key);
      const current = toState(row);
      const lookup: RevisionLookup = async (revision) => {
        const found = await trx
          .selectFrom('revisions')
          .selectAll()
          .where('service_id', '=', row.id)
          .where('revision', '=', revision)
          .executeTakeFirst();
        return found ? toRevision(found) : undefined;
      };
      const changed = await change(current, lookup);
      const { state, newRevision } = changed;
      if (state === current) return this.desiredOne(trx, current);
      await trx
        .updateTable('services')
        .set(changeableColumns(state))
        .where('id', '=', row.id)
        .execute();
      if (newRevision) {
        await trx.insertInto('revisions').values(revisionRow(row.id, newRevision)).execute();
        const kept = await trx.selectFrom('revisions').select('revision').where('service_id', '=', row.id).execute();
        const prune = revisionsToPrune(kept.map((r) => r.revision), revisionHistoryLimit, state.revision);
        if (prune.length > 0) {
          await trx.deleteFrom('revisions').where('service_id', '=', row.id).where('revision', 'in', prune).execute();
        }
        await this.volumes.claim(trx, state, state.updateTime);
      }
      await this.enforceQuotas(trx, key, [current], [state]);
      await this.events.recordIn(trx, eventsOf(changed), state.updateTime);
      return this.desiredOne(trx, state);
    });
  }

  /**
   * The controller's record of where a rollout stands. Written only while the service is still the
   * one (uid) at the record's revision, so it never overwrites the rollout of a change made since;
   * false when it was not written. Not a change of the service: updateTime stays. `events` (the
   * rollout's outcome) are recorded with it, and only if it is written.
   */
  async recordRollout(key: ServiceKey, uid: string, record: RolloutRecord, events: readonly EventInput[] = []): Promise<boolean> {
    return this.write([key], async (trx) => {
      const result = await trx
        .updateTable('services')
        .set({ rollout: JSON.stringify(record) })
        .where('uid', '=', uid)
        .where('revision', '=', record.revision)
        .executeTakeFirst();
      const written = Number(result.numUpdatedRows) > 0;
      if (written) await this.events.recordIn(trx, events, record.updateTime);
      return written;
    });
  }

  /**
   * Every project with something in the region (an app, a V2 service, a ConfigMap, a volume or a
   * quota), with its count of V1 apps.
   */
  async projectAppCounts(region: string): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const table of ['apps', 'configmaps', 'volumes', 'project_quotas'] as const) {
      for (const row of await this.db.selectFrom(table).select('project').distinct().where('region', '=', region).execute()) counts.set(row.project, 0);
    }
    const apps = await this.db
      .selectFrom('apps')
      .select(['project', (eb) => eb.fn.countAll<number>().as('apps')])
      .where('region', '=', region)
      .where('name', '!=', V2_APP)
      .groupBy('project')
      .execute();
    for (const row of apps) counts.set(row.project, Number(row.apps));
    return counts;
  }

  /** The quota that holds for a project and what the project uses of it now. */
  async projectQuota(region: string, project: string): Promise<{ limits: QuotaLimits; own: boolean; usage: QuotaUsage }> {
    const quota = await this.quotas.limitsOf(region, project);
    const services = (await this.reads.servicesOfProject(this.db, { region, project })).map(toState);
    return { ...quota, usage: usageOf(services, this.quotaPolicy(region).specs) };
  }

  async listRevisions(key: ServiceKey): Promise<RevisionRecord[]> {
    const row = await this.findService(this.db, key);
    const rows = await this.db
      .selectFrom('revisions')
      .selectAll()
      .where('service_id', '=', row.id)
      .orderBy('revision')
      .execute();
    return rows.map(toRevision);
  }

  /**
   * Every service of a region, a few apps' at a time: what a full resync walks, giving the event
   * loop a turn between pages. One read of 10,000 keys held it for 8 ms on SQLite.
   */
  async *serviceKeyPages(region: string, appsPerPage = 50): AsyncGenerator<ServiceKey[]> {
    const apps = await this.db.selectFrom('apps').select(['id', 'project', 'name']).where('region', '=', region).orderBy('id').execute();
    for (let start = 0; start < apps.length; start += appsPerPage) {
      const page = new Map(apps.slice(start, start + appsPerPage).map((app) => [app.id, app]));
      const services = await this.db.selectFrom('services').select(['app_id', 'name']).where('app_id', 'in', [...page.keys()]).execute();
      yield services.map((service) => {
        const app = page.get(service.app_id)!;
        return { region, project: app.project, app: app.name, service: service.name };
      });
    }
  }

  /**
   * Inside a write, after it: refuses it (rolling the transaction back) when it takes the
   * project's or the region's usage over a quota. `before` and `after` are the changed services'
   * states; usage before the change is derived from them, so one read of the scope suffices.
   */
  private async enforceQuotas(trx: Transaction<Database>, scope: { region: string; project: string }, before: ServiceState[], after: ServiceState[]): Promise<void> {
    const { region, project } = scope;
    const policy = this.quotaPolicy(region);
    const { limits } = await this.quotas.limitsOf(region, project, trx);
    const changeBefore = usageOf(before, policy.specs);
    const changeAfter = usageOf(after, policy.specs);
    const check = (name: string, quota: QuotaLimits, usage: QuotaUsage): void =>
      checkQuota(name, quota, usageBeforeChange(usage, changeBefore, changeAfter), usage);
    if (hasLimits(limits)) {
      check(`project "${project}"`, limits, usageOf((await this.reads.servicesOfProject(trx, scope)).map(toState), policy.specs));
    }
    if (hasLimits(policy.region)) {
      check(`region "${region}"`, policy.region, usageOf((await this.reads.servicesOfRegion(trx, { region })).map(toState), policy.specs));
    }
  }

  /** Services with the hash their pods carry, which covers the ConfigMaps they read. */
  private async desired(db: Executor, states: ServiceState[]): Promise<DesiredService[]> {
    const digests = new Map<string, Promise<Map<string, string>>>();
    const digestsOf = (state: ServiceState): Promise<Map<string, string>> => {
      const { region, project } = state.key;
      const id = `${region}/${project}`;
      if (!digests.has(id)) digests.set(id, this.configMaps.digests(db, region, project));
      return digests.get(id)!;
    };
    return Promise.all(states.map(async (state) =>
      withPodTemplateHash(state, configMapNames(state.containers).length === 0 ? new Map() : await digestsOf(state)),
    ));
  }

  private async desiredOne(db: Executor, state: ServiceState): Promise<DesiredService> {
    const [desired] = await this.desired(db, [state]);
    return desired!;
  }

  private async findApp(db: Executor, ref: AppRef): Promise<Selectable<AppsTable>> {
    const [app] = await this.reads.app(db, ref);
    if (app) return app;
    throw new WharfError('AppNotFound', `app "${ref.app}" does not exist in project "${ref.project}"`);
  }

  private async findService(db: Executor, key: ServiceKey): Promise<ServiceRow> {
    const [row] = await this.reads.service(db, key);
    if (row) return row;
    throw await this.whyMissing(db, key);
  }

  /** A missing service's error: AppNotFound when its V1 app is missing too (a V2 service has no app to miss), else ServiceNotFound. */
  private async whyMissing(db: Executor, key: ServiceKey): Promise<WharfError> {
    if (key.app !== V2_APP) await this.findApp(db, key);
    return new WharfError('ServiceNotFound', `microservice "${key.service}" does not exist in ${placeOf(key)}`);
  }

  /** The project's V2 app, created with its first V2 service. */
  private async v2App(trx: Transaction<Database>, ref: AppRef, now: string): Promise<Selectable<AppsTable>> {
    await trx
      .insertInto('apps')
      .values({ region: ref.region, project: ref.project, name: V2_APP, created_at: now })
      .onConflict((conflict) => conflict.columns(['region', 'project', 'name']).doNothing())
      .execute();
    return this.findApp(trx, ref);
  }
}

/** The events a change records with itself, of its service. */
function eventsOf({ state, events }: ServiceChange): EventInput[] {
  return (events ?? []).map((event) => ({ ...event, key: state.key }));
}

/** `after` less what the change added: the usage the scope had before it. */
function usageBeforeChange(after: QuotaUsage, changeBefore: QuotaUsage, changeAfter: QuotaUsage): QuotaUsage {
  const before = { ...after };
  for (const dimension of Object.keys(before) as Array<keyof QuotaUsage>) before[dimension] += changeBefore[dimension] - changeAfter[dimension];
  return before;
}

/** Where a service is, as messages say it: `app "shop"`, or `project "p"` for a V2 service. */
function placeOf(key: ServiceKey): string {
  return key.app === V2_APP ? `project "${key.project}"` : `app "${key.app}"`;
}

/** Up to this many services missing from the cache, a list reads them one by one rather than all. */
const FEW_MISSING = 16;

/** The reads of the API's hot paths, compiled once (see reusableQuery). */
function compileReads(db: Kysely<Database>) {
  const services = () => db.selectFrom('services').innerJoin('apps', 'apps.id', 'services.app_id').select(SERVICE_COLUMNS);
  // Keys alone: a list whose states the cache holds reads nothing more.
  const serviceKeys = () =>
    db.selectFrom('services').innerJoin('apps', 'apps.id', 'services.app_id').select(['apps.region', 'apps.project', 'apps.name as app', 'services.name as service']);
  const apps = () => db.selectFrom('apps').selectAll();
  const [region, project, app, service] = ['region', 'project', 'app', 'service'].map(placeholder);
  return {
    service: reusableQuery<ServiceRow, keyof ServiceKey>(
      services()
        .where('apps.region', '=', region!)
        .where('apps.project', '=', project!)
        .where('apps.name', '=', app!)
        .where('services.name', '=', service!),
    ),
    servicesOfApp: reusableQuery<ServiceRow, keyof AppRef>(
      services().where('apps.region', '=', region!).where('apps.project', '=', project!).where('apps.name', '=', app!).orderBy('services.name'),
    ),
    servicesOfProject: reusableQuery<ServiceRow, 'region' | 'project'>(
      services().where('apps.region', '=', region!).where('apps.project', '=', project!).orderBy('services.name').orderBy('apps.name'),
    ),
    serviceKeysOfApp: reusableQuery<ServiceKey, keyof AppRef>(
      serviceKeys().where('apps.region', '=', region!).where('apps.project', '=', project!).where('apps.name', '=', app!).orderBy('services.name'),
    ),
    serviceKeysOfProject: reusableQuery<ServiceKey, 'region' | 'project'>(
      serviceKeys().where('apps.region', '=', region!).where('apps.project', '=', project!).orderBy('services.name').orderBy('apps.name'),
    ),
    servicesOfRegion: reusableQuery<ServiceRow, 'region'>(services().where('apps.region', '=', region!)),
    app: reusableQuery<Selectable<AppsTable>, keyof AppRef>(
      apps().where('region', '=', region!).where('project', '=', project!).where('name', '=', app!),
    ),
    anyAppOfProject: reusableQuery<Selectable<AppsTable>, 'region' | 'project'>(
      apps().where('region', '=', region!).where('project', '=', project!).limit(1),
    ),
    // V1's apps: the V2 app is the project's own, never listed.
    appsOfProject: reusableQuery<Selectable<AppsTable>, 'region' | 'project'>(
      apps().where('region', '=', region!).where('project', '=', project!).where('name', '!=', V2_APP).orderBy('name'),
    ),
  };
}

type ServiceRow = Omit<Selectable<ServicesTable>, 'app_id'> & { region: string; project: string; app_name: string };

async function insertService(trx: Transaction<Database>, appId: number, change: ServiceChange): Promise<void> {
  const { state, newRevision } = change;
  await refuseWorkloadNameClash(trx, state.key);
  let serviceId: number;
  try {
    const row = await trx
      .insertInto('services')
      .values({
        app_id: appId,
        uid: state.uid,
        name: state.key.service,
        type: state.type,
        created_at: state.creationTime,
        ...changeableColumns(state),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    serviceId = row.id;
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new WharfError('ServiceExists', `microservice "${state.key.service}" already exists in ${placeOf(state.key)}`);
    }
    throw error;
  }
  if (newRevision) await trx.insertInto('revisions').values(revisionRow(serviceId, newRevision)).execute();
}

/**
 * A V1 service `<app>-<service>` and a V2 service `<service>` may take the same engine name (see
 * workloadBaseName): the second to be created is refused. Inside the write transaction, which
 * SQLite runs one at a time, so of two concurrent creates one sees the other.
 */
async function refuseWorkloadNameClash(trx: Transaction<Database>, key: ServiceKey): Promise<void> {
  const name = workloadBaseName(key);
  const services = await trx
    .selectFrom('services')
    .innerJoin('apps', 'apps.id', 'services.app_id')
    .select(['apps.name as app', 'services.name as service'])
    .where('apps.region', '=', key.region)
    .where('apps.project', '=', key.project)
    .execute();
  const other = services.map((row) => ({ ...key, ...row })).find((one) => workloadBaseName(one) === name && (one.app !== key.app || one.service !== key.service));
  if (!other) return;
  throw new WharfError(
    'ServiceExists',
    `microservice "${serviceLabel(key)}" would have the engine name "${name}" of microservice "${serviceLabel(other)}" in project "${key.project}" ` +
      '(a V1 microservice is named <app>-<service> on the engine, a V2 one <service>): choose another name',
  );
}

/** The columns a change to a service may write: all but its identity and creation time. */
function changeableColumns(state: ServiceState) {
  return {
    template: templateDocument(state),
    instance_number: state.instanceNumber,
    stopped: state.stopped ? 1 : 0,
    ports: JSON.stringify(state.ports),
    revision: state.revision,
    template_hash: state.templateHash,
    min_ready_seconds: state.rollout.minReadySeconds,
    progress_deadline_seconds: state.rollout.progressDeadlineSeconds,
    auto_rollback: state.rollout.autoRollback ? 1 : 0,
    rollout: state.rolloutRecord ? JSON.stringify(state.rolloutRecord) : null,
    updated_at: state.updateTime,
  };
}

function revisionRow(serviceId: number, revision: RevisionRecord): RevisionsTable {
  return {
    service_id: serviceId,
    revision: revision.revision,
    template: templateDocument(revision),
    template_hash: revision.templateHash,
    created_at: revision.creationTimestamp,
  };
}

/** The template alone; a template without GPUs has no gpuSpec key, so it reads back exactly as written. */
function templateDocument({ resourceSpec, containers, gpuSpec }: Template): string {
  return JSON.stringify(gpuSpec ? { resourceSpec, containers, gpuSpec } : { resourceSpec, containers });
}

function toState(row: ServiceRow): ServiceState {
  return {
    key: { region: row.region, project: row.project, app: row.app_name, service: row.name },
    uid: row.uid,
    type: row.type as ServiceType,
    ...(JSON.parse(row.template) as Template),
    instanceNumber: row.instance_number,
    stopped: row.stopped === 1,
    ports: JSON.parse(row.ports) as Port[],
    revision: row.revision,
    templateHash: row.template_hash,
    rollout: { minReadySeconds: row.min_ready_seconds, progressDeadlineSeconds: row.progress_deadline_seconds, autoRollback: row.auto_rollback === 1 },
    ...(row.rollout === null ? {} : { rolloutRecord: JSON.parse(row.rollout) as RolloutRecord }),
    creationTime: row.created_at,
    updateTime: row.updated_at,
  };
}

function toRevision(row: Selectable<RevisionsTable>): RevisionRecord {
  return {
    revision: row.revision,
    ...(JSON.parse(row.template) as Template),
    templateHash: row.template_hash,
    creationTimestamp: row.created_at,
  };
}
