import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Container, Port, ServiceType } from '../api/schemas/microservice.js';
import { WharfError } from '../domain/errors.js';
import type { ServiceKey } from '../domain/keys.js';
import { revisionsToPrune, type RevisionRecord, type ServiceChange, type ServiceState } from '../domain/service.js';
import { isUniqueViolation, type Database, type RevisionsTable } from './database.js';

export interface AppRecord {
  region: string;
  project: string;
  name: string;
  creationTime: string;
  services: ServiceState[];
}

export interface AppRef {
  region: string;
  project: string;
  app: string;
}

/** Reads a revision of the service being changed, inside the change's transaction. */
export type RevisionLookup = (revision: number) => Promise<RevisionRecord | undefined>;

type Executor = Kysely<Database> | Transaction<Database>;

const SERVICE_COLUMNS = [
  'services.id',
  'services.uid',
  'services.name',
  'services.type',
  'services.resource_spec',
  'services.containers',
  'services.instance_number',
  'services.stopped',
  'services.ports',
  'services.revision',
  'services.template_hash',
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
  constructor(private readonly db: Kysely<Database>) {}

  async close(): Promise<void> {
    await this.db.destroy();
  }

  async createApp(ref: AppRef, now: string, services: ServiceChange[]): Promise<AppRecord> {
    return this.db.transaction().execute(async (trx) => {
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
      for (const change of services) await insertService(trx, appId, change);
      return { ...ref, name: ref.app, creationTime: now, services: services.map((change) => change.state) };
    });
  }

  async listApps(region: string, project: string): Promise<AppRecord[]> {
    const apps = await this.db
      .selectFrom('apps')
      .selectAll()
      .where('region', '=', region)
      .where('project', '=', project)
      .orderBy('name')
      .execute();
    const services = await serviceQuery(this.db)
      .where('apps.region', '=', region)
      .where('apps.project', '=', project)
      .orderBy('services.name')
      .execute();
    return apps.map((app) => ({
      region,
      project,
      name: app.name,
      creationTime: app.created_at,
      services: services.filter((row) => row.app_name === app.name).map(toState),
    }));
  }

  async getApp(ref: AppRef): Promise<AppRecord> {
    const app = await this.findApp(this.db, ref);
    const services = await this.listServices(ref);
    return { ...ref, name: app.name, creationTime: app.created_at, services };
  }

  /** Deletes an app and its services; returns the services so their workloads can be removed. */
  async deleteApp(ref: AppRef): Promise<ServiceKey[]> {
    return this.db.transaction().execute(async (trx) => {
      const app = await this.findApp(trx, ref);
      const services = await trx.selectFrom('services').select('name').where('app_id', '=', app.id).execute();
      await trx.deleteFrom('apps').where('id', '=', app.id).execute();
      return services.map((row) => ({ ...ref, service: row.name }));
    });
  }

  async createService(ref: AppRef, change: ServiceChange): Promise<ServiceState> {
    return this.db.transaction().execute(async (trx) => {
      const app = await this.findApp(trx, ref);
      await insertService(trx, app.id, change);
      return change.state;
    });
  }

  async listServices(ref: AppRef): Promise<ServiceState[]> {
    await this.findApp(this.db, ref);
    const rows = await serviceQuery(this.db)
      .where('apps.region', '=', ref.region)
      .where('apps.project', '=', ref.project)
      .where('apps.name', '=', ref.app)
      .orderBy('services.name')
      .execute();
    return rows.map(toState);
  }

  async getService(key: ServiceKey): Promise<ServiceState> {
    return toState(await this.findService(this.db, key));
  }

  /** The desired state of a service, or undefined when it does not exist (the controller's read). */
  async findDesired(key: ServiceKey): Promise<ServiceState | undefined> {
    const row = await serviceRow(this.db, key);
    return row ? toState(row) : undefined;
  }

  async deleteService(key: ServiceKey): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
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
  ): Promise<ServiceState> {
    return this.db.transaction().execute(async (trx) => {
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
      const { state, newRevision } = await change(current, lookup);
      if (state === current) return current;
      await trx
        .updateTable('services')
        .set({
          resource_spec: state.resourceSpec,
          containers: JSON.stringify(state.containers),
          instance_number: state.instanceNumber,
          stopped: state.stopped ? 1 : 0,
          ports: JSON.stringify(state.ports),
          revision: state.revision,
          template_hash: state.templateHash,
          updated_at: state.updateTime,
        })
        .where('id', '=', row.id)
        .execute();
      if (newRevision) {
        await trx.insertInto('revisions').values(revisionRow(row.id, newRevision)).execute();
        const kept = await trx.selectFrom('revisions').select('revision').where('service_id', '=', row.id).execute();
        const prune = revisionsToPrune(kept.map((r) => r.revision), revisionHistoryLimit, state.revision);
        if (prune.length > 0) {
          await trx.deleteFrom('revisions').where('service_id', '=', row.id).where('revision', 'in', prune).execute();
        }
      }
      return state;
    });
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

  /** Every service of a region: what a full resync walks. */
  async serviceKeys(region: string): Promise<ServiceKey[]> {
    const rows = await this.db
      .selectFrom('services')
      .innerJoin('apps', 'apps.id', 'services.app_id')
      .select(['apps.project', 'apps.name as app', 'services.name as service'])
      .where('apps.region', '=', region)
      .execute();
    return rows.map((row) => ({ region, ...row }));
  }

  private async findApp(db: Executor, ref: AppRef): Promise<Selectable<Database['apps']>> {
    const app = await db
      .selectFrom('apps')
      .selectAll()
      .where('region', '=', ref.region)
      .where('project', '=', ref.project)
      .where('name', '=', ref.app)
      .executeTakeFirst();
    if (app) return app;
    const anyApp = await db
      .selectFrom('apps')
      .select('id')
      .where('region', '=', ref.region)
      .where('project', '=', ref.project)
      .executeTakeFirst();
    if (!anyApp) throw new WharfError('SpaceNotFound', `project "${ref.project}" has nothing in region "${ref.region}"`);
    throw new WharfError('AppNotFound', `app "${ref.app}" does not exist in project "${ref.project}"`);
  }

  private async findService(db: Executor, key: ServiceKey): Promise<ServiceRow> {
    const row = await serviceRow(db, key);
    if (row) return row;
    await this.findApp(db, key);
    throw new WharfError('ServiceNotFound', `microservice "${key.service}" does not exist in app "${key.app}"`);
  }
}

function serviceQuery(db: Executor) {
  return db.selectFrom('services').innerJoin('apps', 'apps.id', 'services.app_id').select(SERVICE_COLUMNS);
}

function serviceRow(db: Executor, key: ServiceKey) {
  return serviceQuery(db)
    .where('apps.region', '=', key.region)
    .where('apps.project', '=', key.project)
    .where('apps.name', '=', key.app)
    .where('services.name', '=', key.service)
    .executeTakeFirst();
}

type ServiceRow = Awaited<ReturnType<ReturnType<typeof serviceQuery>['executeTakeFirstOrThrow']>>;

async function insertService(trx: Transaction<Database>, appId: number, change: ServiceChange): Promise<void> {
  const { state, newRevision } = change;
  let serviceId: number;
  try {
    const row = await trx
      .insertInto('services')
      .values({
        app_id: appId,
        uid: state.uid,
        name: state.key.service,
        type: state.type,
        resource_spec: state.resourceSpec,
        containers: JSON.stringify(state.containers),
        instance_number: state.instanceNumber,
        stopped: state.stopped ? 1 : 0,
        ports: JSON.stringify(state.ports),
        revision: state.revision,
        template_hash: state.templateHash,
        created_at: state.creationTime,
        updated_at: state.updateTime,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    serviceId = row.id;
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new WharfError('ServiceExists', `microservice "${state.key.service}" already exists in app "${state.key.app}"`);
    }
    throw error;
  }
  if (newRevision) await trx.insertInto('revisions').values(revisionRow(serviceId, newRevision)).execute();
}

function revisionRow(serviceId: number, revision: RevisionRecord): RevisionsTable {
  return {
    service_id: serviceId,
    revision: revision.revision,
    resource_spec: revision.resourceSpec,
    containers: JSON.stringify(revision.containers),
    template_hash: revision.templateHash,
    created_at: revision.creationTimestamp,
  };
}

function toState(row: ServiceRow): ServiceState {
  return {
    key: { region: row.region, project: row.project, app: row.app_name, service: row.name },
    uid: row.uid,
    type: row.type as ServiceType,
    resourceSpec: row.resource_spec,
    containers: JSON.parse(row.containers) as Container[],
    instanceNumber: row.instance_number,
    stopped: row.stopped === 1,
    ports: JSON.parse(row.ports) as Port[],
    revision: row.revision,
    templateHash: row.template_hash,
    creationTime: row.created_at,
    updateTime: row.updated_at,
  };
}

function toRevision(row: Selectable<RevisionsTable>): RevisionRecord {
  return {
    revision: row.revision,
    resourceSpec: row.resource_spec,
    containers: JSON.parse(row.containers) as Container[],
    templateHash: row.template_hash,
    creationTimestamp: row.created_at,
  };
}
