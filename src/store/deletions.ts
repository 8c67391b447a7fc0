import type { DeletionState, ProjectResourceKey, ProjectResourceKind } from '../domain/deletion.js';
import type { StoreAccess } from './store-access.js';

const TABLES = { configMap: 'configmaps', volume: 'volumes' } as const satisfies Record<ProjectResourceKind, string>;

/**
 * The controller's side of a ConfigMap's or volume's DELETE. The route only marks the row
 * (ConfigMapStore.delete, VolumeStore.delete); the engine is called outside any transaction, and
 * each step here is a transaction of its own, so no write ever waits on an engine.
 */
export class DeletionStore {
  constructor(private readonly access: StoreAccess) {}

  /** Every ConfigMap and volume of a region being deleted: what the controller resumes at start and resync. */
  async pending(region: string): Promise<ProjectResourceKey[]> {
    const keys: ProjectResourceKey[] = [];
    for (const kind of Object.keys(TABLES) as ProjectResourceKind[]) {
      const rows = await this.access.db
        .selectFrom(TABLES[kind])
        .select(['project', 'name'])
        .where('region', '=', region)
        .where('deleting_since', 'is not', null)
        .orderBy('deleting_since')
        .execute();
      keys.push(...rows.map((row) => ({ kind, region, ...row })));
    }
    return keys;
  }

  /** The regions with a ConfigMap or volume being deleted. */
  async regions(): Promise<string[]> {
    const regions = new Set<string>();
    for (const table of Object.values(TABLES)) {
      const rows = await this.access.db.selectFrom(table).select('region').distinct().where('deleting_since', 'is not', null).execute();
      for (const row of rows) regions.add(row.region);
    }
    return [...regions];
  }

  /** The deletion under way, or undefined when the object is gone or not being deleted. */
  async find(key: ProjectResourceKey): Promise<DeletionState | undefined> {
    const row = await this.access.db
      .selectFrom(TABLES[key.kind])
      .select(['deleting_since', 'delete_message'])
      .where('region', '=', key.region)
      .where('project', '=', key.project)
      .where('name', '=', key.name)
      .executeTakeFirst();
    return row?.deleting_since ? { since: row.deleting_since, message: row.delete_message } : undefined;
  }

  /** Records why the engine has not removed it yet, for the API to show. */
  async failed(key: ProjectResourceKey, message: string): Promise<void> {
    await this.access.write([], (trx) =>
      trx
        .updateTable(TABLES[key.kind])
        .set({ delete_message: message })
        .where('region', '=', key.region)
        .where('project', '=', key.project)
        .where('name', '=', key.name)
        .where('deleting_since', 'is not', null)
        .execute(),
    );
  }

  /** The engine has no more of it: the row goes, and with it the name. False when it was already gone. */
  async finish(key: ProjectResourceKey): Promise<boolean> {
    const result = await this.access.write([], (trx) =>
      trx
        .deleteFrom(TABLES[key.kind])
        .where('region', '=', key.region)
        .where('project', '=', key.project)
        .where('name', '=', key.name)
        .where('deleting_since', 'is not', null)
        .executeTakeFirst(),
    );
    return Number(result.numDeletedRows) > 0;
  }
}
