import type { Selectable, Transaction } from 'kysely';
import { WharfError } from '../domain/errors.js';
import type { ServiceKey } from '../domain/keys.js';
import type { ServiceState } from '../domain/service.js';
import { mountsVolume, volumeNames, type VolumeRecord } from '../domain/volumes.js';
import { isUniqueViolation, type Database, type VolumesTable } from './database.js';
import { serviceList, type Executor, type ProjectResourceRef, type StoreAccess } from './store-access.js';

/** A volume with the services that mount it. */
export interface VolumeUse {
  volume: VolumeRecord;
  mountedBy: ServiceKey[];
}

/** The volumes of each project. Nothing but an explicit DELETE removes one: its data outlives services. */
export class VolumeStore {
  constructor(private readonly access: StoreAccess, private readonly defaultSizeGi: (region: string) => number) {}

  async create(ref: ProjectResourceRef, sizeGi: number, now: string): Promise<VolumeUse> {
    return this.access.write([], async (trx) => {
      try {
        await trx.insertInto('volumes').values(volumeRow(ref, sizeGi, now)).execute();
      } catch (error) {
        if (isUniqueViolation(error)) throw new WharfError('VolumeExists', `volume "${ref.name}" already exists in project "${ref.project}"`);
        throw error;
      }
      return { volume: toRecord(volumeRow(ref, sizeGi, now)), mountedBy: await this.mountedBy(trx, ref) };
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

  /** The size of a volume in GiB, or undefined when it does not exist (the runtimes' read). */
  async sizeOf(ref: ProjectResourceRef): Promise<number | undefined> {
    const { db } = this.access;
    const row = await db.selectFrom('volumes').select('size_gi').where('region', '=', ref.region).where('project', '=', ref.project).where('name', '=', ref.name).executeTakeFirst();
    return row?.size_gi;
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

  /** Records the volumes a service mounts that do not exist yet, with the region's default size. */
  async claim(trx: Transaction<Database>, state: ServiceState, now: string): Promise<void> {
    const { region, project } = state.key;
    const sizeGi = this.defaultSizeGi(region);
    for (const name of volumeNames(state.containers)) {
      await trx.insertInto('volumes').values(volumeRow({ region, project, name }, sizeGi, now)).onConflict((conflict) => conflict.doNothing()).execute();
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

function volumeRow(ref: ProjectResourceRef, sizeGi: number, now: string): Omit<VolumesTable, 'id'> {
  return { region: ref.region, project: ref.project, name: ref.name, size_gi: sizeGi, created_at: now };
}

function toRecord(row: Omit<VolumesTable, 'id'>): VolumeRecord {
  return { name: row.name, project: row.project, sizeGi: row.size_gi, creationTime: row.created_at };
}
