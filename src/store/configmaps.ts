import type { Selectable, Transaction } from 'kysely';
import { configMapDigest, readsConfigMap, type ConfigMapRecord } from '../domain/configmaps.js';
import type { ConfigMapContent } from '../domain/pod-inputs.js';
import { beingDeletedMessage, type ProjectResourceKey } from '../domain/deletion.js';
import { WharfError } from '../domain/errors.js';
import type { ServiceKey } from '../domain/keys.js';
import { type ConfigMapsTable, type Database } from './database.js';
import { serviceList, type Executor, type ProjectResourceRef, type StoreAccess } from './store-access.js';

/**
 * The ConfigMaps of each project. A write drops the cached services that read the ConfigMap, so
 * their next read carries the new pod template hash (see podTemplateHash), and puts them in the
 * store's change feed: their pods follow. A DELETE marks it deleting: from then on it is missing to
 * services and runtimes, and the controller removes it from the engine, then the row (DeletionStore).
 */
export class ConfigMapStore {
  /**
   * The content the controller last read, by ConfigMap. Every reconcile of a service reads the
   * ConfigMaps of its template, and reading and parsing up to 1 MiB each time would hold the event loop;
   * a hit costs a digest lookup in an index (configmaps_digests), a changed digest reads the data again.
   */
  private readonly contents = new Map<string, ConfigMapContent>();

  constructor(private readonly access: StoreAccess) {}

  async create(ref: ProjectResourceRef, data: Record<string, string>, now: string): Promise<ConfigMapRecord> {
    const readers: ServiceKey[] = [];
    return this.access.write(readers, async (trx) => {
      const row = {
        region: ref.region, project: ref.project, name: ref.name, data: JSON.stringify(data), version: 1, digest: configMapDigest(data),
        created_at: now, updated_at: now, deleting_since: null, delete_message: '',
      };
      // Not a caught unique violation: PostgreSQL refuses every further statement of a transaction one failed in.
      const inserted = await trx.insertInto('configmaps').values(row).onConflict((conflict) => conflict.columns(['region', 'project', 'name']).doNothing()).executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) {
        const existing = await this.findRow(trx, ref);
        if (existing.deleting_since !== null) throw beingDeleted(ref, existing.deleting_since);
        throw new WharfError('ConfigMapExists', `ConfigMap "${ref.name}" already exists in project "${ref.project}"`);
      }
      readers.push(...(await this.readers(trx, ref)));
      return toRecord(row);
    });
  }

  /**
   * Replaces the data. The same data again changes nothing, so no pod is rolled. One being deleted
   * cannot change: no service would see it.
   */
  async update(ref: ProjectResourceRef, data: Record<string, string>, now: string): Promise<ConfigMapRecord> {
    const readers: ServiceKey[] = [];
    return this.access.write(readers, async (trx) => {
      const current = await this.findRow(trx, ref);
      if (current.deleting_since !== null) throw beingDeleted(ref, current.deleting_since, 'it cannot change');
      const digest = configMapDigest(data);
      if (digest === current.digest) return toRecord(current);
      const changed = { data: JSON.stringify(data), version: current.version + 1, digest, updated_at: now };
      await trx.updateTable('configmaps').set(changed).where('id', '=', current.id).execute();
      readers.push(...(await this.readers(trx, ref)));
      await this.access.recordEvents(trx, readers.map((key) => ({
        key,
        type: 'Normal',
        reason: 'ConfigMapChanged',
        message: `ConfigMap ${ref.name} changed (version ${changed.version}): its pods are rolled to read it`,
        time: now,
      })));
      return toRecord({ ...current, ...changed });
    });
  }

  /**
   * Marks the ConfigMap deleting, refused while a service reads it (its pods could not start
   * again); the controller, woken by the change feed, removes it from the engine and then the row.
   * One already being deleted is answered as it is.
   */
  async delete(ref: ProjectResourceRef, now: string): Promise<ConfigMapRecord> {
    const marked: ProjectResourceKey[] = [];
    const record = await this.access.write([], async (trx) => {
      const row = await this.findRow(trx, ref);
      if (row.deleting_since !== null) return toRecord(row);
      const readers = await this.readers(trx, ref);
      if (readers.length > 0) {
        throw new WharfError('ConfigMapInUse', `ConfigMap "${ref.name}" is used by microservice(s) ${serviceList(readers)}; change or delete them first`);
      }
      const deleting = { deleting_since: now, delete_message: '' };
      await trx.updateTable('configmaps').set(deleting).where('id', '=', row.id).execute();
      marked.push({ kind: 'configMap', ...ref });
      return toRecord({ ...row, ...deleting });
    }, marked);
    this.contents.delete(contentKey(ref));
    return record;
  }

  async list(region: string, project: string): Promise<ConfigMapRecord[]> {
    const rows = await this.access.db.selectFrom('configmaps').selectAll().where('region', '=', region).where('project', '=', project).orderBy('name').execute();
    return rows.map(toRecord);
  }

  async get(ref: ProjectResourceRef): Promise<ConfigMapRecord> {
    return toRecord(await this.findRow(this.access.db, ref));
  }

  /** The ConfigMap's data, or undefined when it does not exist or is being deleted: what the controller resolves a template's references with. */
  async find(ref: ProjectResourceRef): Promise<ConfigMapContent | undefined> {
    const key = contentKey(ref);
    const current = await digestsQuery(this.access.db, ref.region, ref.project).where('name', '=', ref.name).executeTakeFirst();
    const cached = this.contents.get(key);
    if (current && cached?.digest === current.digest) return cached;
    this.contents.delete(key);
    const row = current && (await this.query(this.access.db, ref).executeTakeFirst());
    if (!row) return undefined;
    // Frozen: every pod of the ConfigMap shares this object.
    const content = { data: Object.freeze(JSON.parse(row.data) as Record<string, string>), digest: row.digest };
    this.contents.set(key, content);
    return content;
  }

  /** The digest of every ConfigMap of a project, by name; those being deleted are missing. */
  async digests(db: Executor, region: string, project: string): Promise<Map<string, string>> {
    const rows = await digestsQuery(db, region, project).execute();
    return new Map(rows.map((row) => [row.name, row.digest]));
  }

  /** The services of the project that mount the ConfigMap or read an env from it. */
  private async readers(trx: Transaction<Database>, ref: ProjectResourceRef): Promise<ServiceKey[]> {
    const services = await this.access.servicesOfProject(trx, ref.region, ref.project);
    return services.filter((state) => readsConfigMap(state, ref.name)).map((state) => state.key);
  }

  private async findRow(db: Executor, ref: ProjectResourceRef): Promise<Selectable<ConfigMapsTable>> {
    const row = await this.query(db, ref).executeTakeFirst();
    if (!row) throw new WharfError('ConfigMapNotFound', `ConfigMap "${ref.name}" does not exist in project "${ref.project}"`);
    return row;
  }

  private query(db: Executor, ref: ProjectResourceRef) {
    return db.selectFrom('configmaps').selectAll().where('region', '=', ref.region).where('project', '=', ref.project).where('name', '=', ref.name);
  }
}

function contentKey(ref: ProjectResourceRef): string {
  return JSON.stringify([ref.region, ref.project, ref.name]);
}

/**
 * On the read path of every service that reads a ConfigMap: the index configmaps_digests answers it
 * without the data. A ConfigMap being deleted is missing to services, as it will be once gone.
 */
export function digestsQuery(db: Executor, region: string, project: string) {
  return db.selectFrom('configmaps').select(['name', 'digest']).where('region', '=', region).where('project', '=', project).where('deleting_since', 'is', null);
}

/** 409 ConfigMapExists: the name stays taken until the controller has removed it from the engine. */
function beingDeleted(ref: ProjectResourceRef, since: string, consequence?: string): WharfError {
  return new WharfError('ConfigMapExists', beingDeletedMessage({ kind: 'configMap', ...ref }, since, consequence));
}

function toRecord(row: Omit<Selectable<ConfigMapsTable>, 'id'>): ConfigMapRecord {
  return {
    name: row.name,
    project: row.project,
    data: JSON.parse(row.data) as Record<string, string>,
    version: row.version,
    digest: row.digest,
    creationTime: row.created_at,
    updateTime: row.updated_at,
    ...(row.deleting_since ? { deleting: { since: row.deleting_since, message: row.delete_message } } : {}),
  };
}
