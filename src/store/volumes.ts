import type { Insertable, Selectable, Transaction } from 'kysely';
import { beingDeletedMessage, type ProjectResourceKey } from '../domain/deletion.js';
import { WharfError } from '../domain/errors.js';
import type { ServiceKey } from '../domain/keys.js';
import type { ServiceState } from '../domain/service.js';
import { mountsVolume, volumeNames, type VolumeRecord, type VolumeSpec, type VolumeStorage } from '../domain/volumes.js';
import { type Database, type VolumesTable } from './database.js';
import { serviceList, type Executor, type ProjectResourceRef, type StoreAccess } from './store-access.js';

/** A volume with the services that mount it. */
export interface VolumeUse {
  volume: VolumeRecord;
  mountedBy: ServiceKey[];
}

/** What a volume of a region gets when a service mounts it before it exists. */
export interface VolumeDefaults {
  sizeGi: number;
  storage: VolumeStorage;
}

/**
 * The volumes of each project. Nothing but an explicit DELETE removes one: its data outlives services.
 * A DELETE marks it deleting; the controller removes it from the engine, then the row (DeletionStore).
 */
export class VolumeStore {
  constructor(private readonly access: StoreAccess, private readonly defaults: (region: string) => VolumeDefaults) {}

  async create(ref: ProjectResourceRef, sizeGi: number, storage: VolumeStorage, now: string): Promise<VolumeUse> {
    const row = volumeRow(ref, sizeGi, storage, now);
    // Announced: the controller makes it on the engine.
    return this.access.write([], async (trx) => {
      // Not a caught unique violation: PostgreSQL refuses every further statement of a transaction one failed in.
      const inserted = await trx.insertInto('volumes').values(row).onConflict((conflict) => conflict.columns(['region', 'project', 'name']).doNothing()).executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) {
        const existing = await this.findRow(trx, ref);
        const message = existing.deleting_since === null
          ? `volume "${ref.name}" already exists in project "${ref.project}"`
          : beingDeletedMessage({ kind: 'volume', ...ref }, existing.deleting_since);
        throw new WharfError('VolumeExists', message);
      }
      return { volume: toRecord(row), mountedBy: await this.mountedBy(trx, ref) };
    }, [{ kind: 'volume', ...ref }]);
  }

  async list(region: string, project: string): Promise<VolumeUse[]> {
    const { db } = this.access;
    const rows = await db.selectFrom('volumes').selectAll().where('region', '=', region).where('project', '=', project).orderBy('name').execute();
    const services = await this.access.servicesOfProject(db, region, project);
    return rows.map((row) => ({ volume: toRecord(row), mountedBy: mounting(services, row.name) }));
  }

  async get(ref: ProjectResourceRef): Promise<VolumeUse> {
    const row = await this.findRow(this.access.db, ref);
    return { volume: toRecord(row), mountedBy: await this.mountedBy(this.access.db, ref) };
  }

  /**
   * A volume as the controller resolves a template's mounts with, or undefined when it does not
   * exist. One being deleted does not either: a pod must not make again what the controller is removing.
   */
  async find(ref: ProjectResourceRef): Promise<VolumeSpec | undefined> {
    const { db } = this.access;
    const row = await db
      .selectFrom('volumes')
      .selectAll()
      .where('region', '=', ref.region)
      .where('project', '=', ref.project)
      .where('name', '=', ref.name)
      .where('deleting_since', 'is', null)
      .executeTakeFirst();
    return row && volumeSpec(row);
  }

  /** Every volume of a region, as a runtime makes them at connect: not those being deleted (see find). */
  async ofRegion(region: string): Promise<VolumeSpec[]> {
    const rows = await this.access.db
      .selectFrom('volumes')
      .selectAll()
      .where('region', '=', region)
      .where('deleting_since', 'is', null)
      .orderBy('project')
      .orderBy('name')
      .execute();
    return rows.map(volumeSpec);
  }

  /**
   * Gives the volumes of a region that predate storage types (migration 0006) the region's default
   * storage: what they were made of, since until then every volume was. Run at start, once the
   * config is known; afterwards no row is untyped, so it changes nothing.
   */
  async typeUntyped(region: string): Promise<void> {
    const { storage } = this.defaults(region);
    await this.access.write([], (trx) =>
      trx.updateTable('volumes').set({ storage_type: storage.storageType, fs_type: storage.fsType }).where('region', '=', region).where('storage_type', '=', '').execute(),
    );
  }

  /**
   * Marks the volume deleting, refused while a service mounts it; the controller, woken by the
   * change feed, removes it from the engine and then the row. Checked and marked in one
   * transaction, and claim refuses a volume being deleted, so no service can start mounting it in
   * between. One already being deleted is answered as it is.
   */
  async delete(ref: ProjectResourceRef, now: string): Promise<VolumeUse> {
    const marked: ProjectResourceKey[] = [];
    return this.access.write([], async (trx) => {
      const row = await this.findRow(trx, ref);
      if (row.deleting_since !== null) return { volume: toRecord(row), mountedBy: [] };
      const mountedBy = await this.mountedBy(trx, ref);
      if (mountedBy.length > 0) {
        throw new WharfError('VolumeInUse', `volume "${ref.name}" is mounted by microservice(s) ${serviceList(mountedBy)}; change or delete them first`);
      }
      const deleting = { deleting_since: now, delete_message: '' };
      await trx.updateTable('volumes').set(deleting).where('id', '=', row.id).execute();
      marked.push({ kind: 'volume', ...ref });
      return { volume: toRecord({ ...row, ...deleting }), mountedBy: [] };
    }, marked);
  }

  /**
   * Records the volumes a service mounts that do not exist yet, with the region's defaults. A volume
   * being deleted is refused, naming the mount: its data is going, and mounting would hold it.
   */
  async claim(trx: Transaction<Database>, state: ServiceState, now: string): Promise<void> {
    const { region, project } = state.key;
    const names = volumeNames(state.containers);
    if (names.length === 0) return;
    const deleting = await trx
      .selectFrom('volumes')
      .select(['name', 'deleting_since'])
      .where('region', '=', region)
      .where('project', '=', project)
      .where('name', 'in', names)
      .where('deleting_since', 'is not', null)
      .execute();
    if (deleting.length > 0) throw mountRefused(state, new Map(deleting.map((row) => [row.name, row.deleting_since!])));
    const { sizeGi, storage } = this.defaults(region);
    for (const name of names) {
      await trx.insertInto('volumes').values(volumeRow({ region, project, name }, sizeGi, storage, now)).onConflict((conflict) => conflict.doNothing()).execute();
    }
  }

  private async mountedBy(db: Executor, ref: ProjectResourceRef): Promise<ServiceKey[]> {
    return mounting(await this.access.servicesOfProject(db, ref.region, ref.project), ref.name);
  }

  private async findRow(db: Executor, ref: ProjectResourceRef): Promise<Selectable<VolumesTable>> {
    const row = await db.selectFrom('volumes').selectAll().where('region', '=', ref.region).where('project', '=', ref.project).where('name', '=', ref.name).executeTakeFirst();
    if (!row) throw new WharfError('VolumeNotFound', `volume "${ref.name}" does not exist in project "${ref.project}"`);
    return row;
  }
}

function mounting(services: ServiceState[], volume: string): ServiceKey[] {
  return services.filter((state) => mountsVolume(state, volume)).map((state) => state.key);
}

/** 409 VolumeExists naming the first mount of a volume being deleted: its name is still taken. */
function mountRefused(state: ServiceState, deleting: Map<string, string>): WharfError {
  for (const [i, container] of state.containers.entries()) {
    for (const [j, mount] of container.volumeMounts.entries()) {
      const since = deleting.get(mount.volumeName);
      if (since === undefined) continue;
      const message = beingDeletedMessage({ kind: 'volume', project: state.key.project, name: mount.volumeName }, since, 'it cannot be mounted');
      return new WharfError('VolumeExists', message, `containers[${i}].volumeMounts[${j}].volumeName`);
    }
  }
  throw new Error('mountRefused: no mount of a volume being deleted');
}

function volumeRow(ref: ProjectResourceRef, sizeGi: number, storage: VolumeStorage, now: string): Insertable<VolumesTable> {
  return { region: ref.region, project: ref.project, name: ref.name, size_gi: sizeGi, storage_type: storage.storageType, fs_type: storage.fsType, created_at: now, deleting_since: null };
}

type VolumeRow = Omit<Selectable<VolumesTable>, 'id'>;

function toRecord(row: VolumeRow | Insertable<VolumesTable>): VolumeRecord {
  return {
    name: row.name,
    project: row.project,
    sizeGi: row.size_gi,
    storageType: row.storage_type,
    fsType: row.fs_type as VolumeRecord['fsType'],
    creationTime: row.created_at,
    ...(row.deleting_since ? { deleting: { since: row.deleting_since, message: row.delete_message ?? '' } } : {}),
  };
}

function volumeSpec(row: VolumeRow): VolumeSpec {
  return { project: row.project, name: row.name, sizeGi: row.size_gi, storageType: row.storage_type };
}
