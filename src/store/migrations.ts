import { Migrator, type ColumnDataType, type ColumnDefinitionBuilder, type Kysely, type Migration } from 'kysely';
import { isPostgres } from './postgres.js';

/** Schema history, applied in key order at start. Never edit a released entry: add one. Exported for tests of a migration. */
export const migrations: Record<string, Migration> = {
  '0001-apps-services-revisions': {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see migrateToLatest
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('apps')
        .addColumn('id', ...generatedId(db))
        .addColumn('region', 'text', (col) => col.notNull())
        .addColumn('project', 'text', (col) => col.notNull())
        .addColumn('name', 'text', (col) => col.notNull())
        .addColumn('created_at', 'text', (col) => col.notNull())
        .addUniqueConstraint('apps_region_project_name', ['region', 'project', 'name'])
        .execute();
      await db.schema
        .createTable('services')
        .addColumn('id', ...generatedId(db))
        .addColumn('app_id', 'integer', (col) => col.notNull().references('apps.id').onDelete('cascade'))
        .addColumn('uid', 'text', (col) => col.notNull().unique())
        .addColumn('name', 'text', (col) => col.notNull())
        .addColumn('type', 'text', (col) => col.notNull())
        .addColumn('resource_spec', 'text', (col) => col.notNull())
        .addColumn('containers', 'text', (col) => col.notNull())
        .addColumn('instance_number', 'integer', (col) => col.notNull())
        .addColumn('stopped', 'integer', (col) => col.notNull().defaultTo(0))
        .addColumn('ports', 'text', (col) => col.notNull())
        .addColumn('revision', 'integer', (col) => col.notNull())
        .addColumn('template_hash', 'text', (col) => col.notNull())
        .addColumn('created_at', 'text', (col) => col.notNull())
        .addColumn('updated_at', 'text', (col) => col.notNull())
        .addUniqueConstraint('services_app_name', ['app_id', 'name'])
        .execute();
      await db.schema
        .createTable('revisions')
        .addColumn('service_id', 'integer', (col) => col.notNull().references('services.id').onDelete('cascade'))
        .addColumn('revision', 'integer', (col) => col.notNull())
        .addColumn('resource_spec', 'text', (col) => col.notNull())
        .addColumn('containers', 'text', (col) => col.notNull())
        .addColumn('template_hash', 'text', (col) => col.notNull())
        .addColumn('created_at', 'text', (col) => col.notNull())
        .addPrimaryKeyConstraint('revisions_pk', ['service_id', 'revision'])
        .execute();
    },
  },
  '0002-tokens': {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see migrateToLatest
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('tokens')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('name', 'text', (col) => col.notNull())
        .addColumn('secret_hash', 'text', (col) => col.notNull())
        .addColumn('projects', 'text', (col) => col.notNull())
        .addColumn('admin', 'integer', (col) => col.notNull().defaultTo(0))
        .addColumn('expires_at', 'text')
        .addColumn('revoked_at', 'text')
        .addColumn('created_at', 'text', (col) => col.notNull())
        .execute();
    },
  },
  '0003-configmaps-volumes': {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see migrateToLatest
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('configmaps')
        .addColumn('id', ...generatedId(db))
        .addColumn('region', 'text', (col) => col.notNull())
        .addColumn('project', 'text', (col) => col.notNull())
        .addColumn('name', 'text', (col) => col.notNull())
        .addColumn('data', 'text', (col) => col.notNull())
        .addColumn('version', 'integer', (col) => col.notNull())
        .addColumn('digest', 'text', (col) => col.notNull())
        .addColumn('created_at', 'text', (col) => col.notNull())
        .addColumn('updated_at', 'text', (col) => col.notNull())
        .addUniqueConstraint('configmaps_region_project_name', ['region', 'project', 'name'])
        .execute();
      await db.schema
        .createTable('volumes')
        .addColumn('id', ...generatedId(db))
        .addColumn('region', 'text', (col) => col.notNull())
        .addColumn('project', 'text', (col) => col.notNull())
        .addColumn('name', 'text', (col) => col.notNull())
        .addColumn('size_gi', 'integer', (col) => col.notNull())
        .addColumn('created_at', 'text', (col) => col.notNull())
        .addUniqueConstraint('volumes_region_project_name', ['region', 'project', 'name'])
        .execute();
    },
  },
  '0004-instance-quotas': {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see migrateToLatest
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('instance')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('created_at', 'text', (col) => col.notNull())
        .execute();
      await db.schema
        .createTable('project_quotas')
        .addColumn('region', 'text', (col) => col.notNull())
        .addColumn('project', 'text', (col) => col.notNull())
        .addColumn('limits', 'text', (col) => col.notNull())
        .addColumn('updated_at', 'text', (col) => col.notNull())
        .addPrimaryKeyConstraint('project_quotas_pk', ['region', 'project'])
        .execute();
    },
  },
  '0005-gpu-spec': {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see migrateToLatest
    async up(db: Kysely<any>) {
      // JSON `{type, number}`; null: no GPU, as every service and revision written before had.
      await db.schema.alterTable('services').addColumn('gpu_spec', 'text').execute();
      await db.schema.alterTable('revisions').addColumn('gpu_spec', 'text').execute();
    },
  },
  '0006-volume-storage': {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see migrateToLatest
    async up(db: Kysely<any>) {
      // Existing rows get "" (untyped): their region's default storage type is in the config, which
      // a migration does not read; VolumeStore.typeUntyped gives it to them when Wharf starts.
      await db.schema.alterTable('volumes').addColumn('storage_type', 'text', (col) => col.notNull().defaultTo('')).execute();
      await db.schema.alterTable('volumes').addColumn('fs_type', 'text', (col) => col.notNull().defaultTo('')).execute();
    },
  },
  '0007-configmap-digests': {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see migrateToLatest
    async up(db: Kysely<any>) {
      // Every read of a service needs the digests of its project's ConfigMaps (podTemplateHash). In a
      // row they stand after the data, up to 1 MiB, and SQLite walks a value's overflow pages to reach
      // the columns after it; this index holds the digests, so that read never touches the data.
      await db.schema.createIndex('configmaps_digests').on('configmaps').columns(['region', 'project', 'name', 'digest']).execute();
    },
  },
  '0008-rollout-settings': {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see migrateToLatest
    async up(db: Kysely<any>) {
      // Services from before get the contract's defaults. `rollout`: JSON RolloutRecord, written by
      // the controller; null until it first looks (the service then reads as progressing).
      await db.schema.alterTable('services').addColumn('min_ready_seconds', 'integer', (col) => col.notNull().defaultTo(10)).execute();
      await db.schema.alterTable('services').addColumn('progress_deadline_seconds', 'integer', (col) => col.notNull().defaultTo(600)).execute();
      await db.schema.alterTable('services').addColumn('auto_rollback', 'integer', (col) => col.notNull().defaultTo(0)).execute();
      await db.schema.alterTable('services').addColumn('rollout', 'text').execute();
    },
  },
  '0009-deletions': {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see migrateToLatest
    async up(db: Kysely<any>) {
      // A DELETE marks the row (deleting_since) and commits; the controller removes the object from
      // the engine, outside any transaction, then deletes the row. delete_message: the last failure.
      for (const table of ['configmaps', 'volumes']) {
        await db.schema.alterTable(table).addColumn('deleting_since', 'text').execute();
        await db.schema.alterTable(table).addColumn('delete_message', 'text', (col) => col.notNull().defaultTo('')).execute();
      }
      // The digests are read without the ConfigMaps being deleted (they are absent to services). The
      // new column stands after the data in a row, so 0007's index would no longer cover that read.
      await db.schema.dropIndex('configmaps_digests').execute();
      await db.schema.createIndex('configmaps_digests').on('configmaps').columns(['region', 'project', 'name', 'deleting_since', 'digest']).execute();
    },
  },
  '0010-template-document': {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see migrateToLatest
    async up(db: Kysely<any>) {
      // A revision's template (resource spec, containers, GPUs) as one JSON document, as the domain
      // has it (domain/template.ts): a new template field then needs no column and no migration.
      // Rewritten row by row in JavaScript, so the migration runs alike on every SQL engine.
      for (const [table, key] of [['services', ['id']], ['revisions', ['service_id', 'revision']]] as const) {
        await db.schema.alterTable(table).addColumn('template', 'text', (col) => col.notNull().defaultTo('{}')).execute();
        const rows = await db.selectFrom(table).select([...key, 'resource_spec', 'containers', 'gpu_spec']).execute();
        for (const row of rows) {
          const template = { resourceSpec: row.resource_spec, containers: JSON.parse(row.containers), ...(row.gpu_spec === null ? {} : { gpuSpec: JSON.parse(row.gpu_spec) }) };
          let update = db.updateTable(table).set({ template: JSON.stringify(template) });
          for (const column of key) update = update.where(column, '=', row[column]);
          await update.execute();
        }
        for (const column of ['resource_spec', 'containers', 'gpu_spec']) await db.schema.alterTable(table).dropColumn(column).execute();
      }
    },
  },
  '0011-events': {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see migrateToLatest
    async up(db: Kysely<any>) {
      // What happened to a service, folded with its repeats. The id is renumbered by every repeat (a
      // fold deletes the row and inserts it again), so it orders events by their last occurrence and
      // a watch resumes from it. Absent pod and container are "": equal to each other when folding,
      // which NULLs would not be. Deleted with their service.
      // 64-bit on PostgreSQL too: every repeat takes an id, and a crash loop repeats for as long as it lasts.
      await db.schema
        .createTable('events')
        .addColumn('id', ...eventId(db))
        .addColumn('service_id', 'integer', (col) => col.notNull().references('services.id').onDelete('cascade'))
        .addColumn('type', 'text', (col) => col.notNull())
        .addColumn('reason', 'text', (col) => col.notNull())
        .addColumn('message', 'text', (col) => col.notNull())
        .addColumn('pod', 'text', (col) => col.notNull())
        .addColumn('container', 'text', (col) => col.notNull())
        .addColumn('revision', 'integer')
        .addColumn('count', 'integer', (col) => col.notNull())
        .addColumn('first_time', 'text', (col) => col.notNull())
        .addColumn('time', 'text', (col) => col.notNull())
        .execute();
      await db.schema.createIndex('events_service').on('events').columns(['service_id', 'reason', 'pod', 'container']).execute();
      await db.schema.createIndex('events_time').on('events').columns(['time']).execute();
    },
  },
  '0012-leases': {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see migrateToLatest
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('leases')
        .addColumn('name', 'text', (col) => col.primaryKey())
        .addColumn('holder', 'text', (col) => col.notNull())
        .addColumn('acquired_ms', 'bigint', (col) => col.notNull())
        .addColumn('renewed_ms', 'bigint', (col) => col.notNull())
        .addColumn('duration_ms', 'integer', (col) => col.notNull())
        .addColumn('transitions', 'integer', (col) => col.notNull())
        .execute();
    },
  },
  '0013-events-by-service-id': {
    // Keeping a service's newest events (events.ts: pruneService after every write) sorted all of
    // its events by id through events_service; in id order it is a seek: 47 µs -> 10 µs a service
    // at 100 events each, 20,000 times when 10,000 services restart.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see migrateToLatest
    async up(db: Kysely<any>) {
      await db.schema.createIndex('events_service_id').on('events').columns(['service_id', 'id']).execute();
    },
  },
};

/**
 * An integer primary key the engine numbers. SQLite gets exactly the column it always had
 * (released migrations must not change what they did); PostgreSQL has no AUTOINCREMENT and
 * numbers a `serial` column instead.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see migrateToLatest
function generatedId(db: Kysely<any>): [ColumnDataType, (col: ColumnDefinitionBuilder) => ColumnDefinitionBuilder] {
  if (isPostgres(db)) return ['serial', (col) => col.primaryKey()];
  return ['integer', (col) => col.primaryKey().autoIncrement()];
}

/** generatedId, 64-bit on PostgreSQL too (SQLite's integer key is 64-bit already). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see migrateToLatest
function eventId(db: Kysely<any>): [ColumnDataType, (col: ColumnDefinitionBuilder) => ColumnDefinitionBuilder] {
  return isPostgres(db) ? ['bigserial', (col) => col.primaryKey()] : generatedId(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run before the typed schema exists
export async function migrateToLatest(db: Kysely<any>): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((result) => result.status === 'Error');
  if (error || failed) {
    throw new Error(`store migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
}
