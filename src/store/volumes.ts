import type { Selectable, Transaction } from 'kysely';
import { WharfError } from '../domain/errors.js';
import type { ServiceKey } from '../domain/keys.js';
import type { ServiceState } from '../domain/service.js';
import { mountsVolume, volumeNames, type VolumeRecord, type VolumeSpec, type VolumeStorage } from '../domain/volumes.js';
import { isUniqueViolation, type Database, type VolumesTable } from './database.js';
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

/** The volumes of each project. Nothing but an explicit DELETE removes one: its data outlives services. */
export class VolumeStore {
  constructor(private readonly access: StoreAccess, private readonly defaults: (region: string) => VolumeDefaults) {}

  async create(ref: ProjectResourceRef, sizeGi: number, storage: VolumeStorage, now: string): Promise<VolumeUse> {
    const row = volumeRow(ref, sizeGi, storage, now);
    return this.access.write([], async (trx) => {
      try {
        await trx.insertInto('volumes').values(row).execute();
      } catch (error) {
        if (isUniqueViolation(error)) throw new WharfError('VolumeExists', `volume "${ref.name}" already exists in project "${ref.project}"`);
        throw error;
      }
      return { volume: toRecord(row), mountedBy: await this.mountedBy(trx, ref) };
    });
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

  /** A volume as the runtimes read it, or undefined when it does not exist. */
  async find(ref: ProjectResourceRef): Promise<VolumeSpec | undefined> {
    const { db } = this.access;
    const row = await db.selectFrom('volumes').selectAll().where('region', '=', ref.region).where('project', '=', ref.project).where('name', '=', ref.name).executeTakeFirst();
    return row && volumeSpec(row);
  }

  /** Every volume of a region, as the runtimes read them. */
  async ofRegion(region: string): Promise<VolumeSpec[]> {
    const rows = await this.access.db.selectFrom('volumes').selectAll().where('region', '=', region).orderBy('project').orderBy('name').execute();
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
   * Refused while a service mounts it. `removeFromEngine` runs inside the transaction, after the
   * check: no service can start mounting the volume in between, and if the engine refuses (a
   * container of a deleted service still holds it) the volume stays listed.
   */
  async delete(ref: ProjectResourceRef, removeFromEngine: () => Promise<void>): Promise<void> {
    await this.access.write([], async (trx) => {
      const row = await this.findRow(trx, ref);
      const mountedBy = await this.mountedBy(trx, ref);
      if (mountedBy.length > 0) {
        throw new WharfError('VolumeInUse', `volume "${ref.name}" is mounted by microservice(s) ${serviceList(mountedBy)}; change or delete them first`);
      }
      await trx.deleteFrom('volumes').where('id', '=', row.id).execute();
      await removeFromEngine();
    });
  }

  /** Records the volumes a service mounts that do not exist yet, with the region's defaults. */
  async claim(trx: Transaction<Database>, state: ServiceState, now: string): Promise<void> {
    const { region, project } = state.key;
    const { sizeGi, storage } = this.defaults(region);
    for (const name of volumeNames(state.containers)) {
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

function volumeRow(ref: ProjectResourceRef, sizeGi: number, storage: VolumeStorage, now: string): Omit<VolumesTable, 'id'> {
  return { region: ref.region, project: ref.project, name: ref.name, size_gi: sizeGi, storage_type: storage.storageType, fs_type: storage.fsType, created_at: now };
}

function toRecord(row: Omit<VolumesTable, 'id'>): VolumeRecord {
  return {
    name: row.name,
    project: row.project,
    sizeGi: row.size_gi,
    storageType: row.storage_type,
    fsType: row.fs_type as VolumeRecord['fsType'],
    creationTime: row.created_at,
  };
}

function volumeSpec(row: Omit<VolumesTable, 'id'>): VolumeSpec {
  return { project: row.project, name: row.name, sizeGi: row.size_gi, storageType: row.storage_type };
}
