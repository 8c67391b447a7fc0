import { sql, type Kysely } from 'kysely';
import type { Database } from './database.js';
import { isPostgres } from './postgres.js';

/**
 * Every table, in an order that puts a row's parents (foreign keys) before it. Typed as a record
 * of the schema's tables, so a table added to `Database` without being added here fails the build
 * rather than being left behind by a copy. Leases are not state: they name processes of the old store.
 */
const COPY_ORDER = {
  instance: 0,
  apps: 1,
  services: 2,
  revisions: 3,
  events: 4,
  configmaps: 5,
  volumes: 6,
  tokens: 7,
  project_quotas: 8,
} satisfies Record<Exclude<keyof Database, 'leases'>, number>;

type Table = keyof typeof COPY_ORDER;

const TABLES = (Object.keys(COPY_ORDER) as Table[]).sort((a, b) => COPY_ORDER[a] - COPY_ORDER[b]);

/** Rows per INSERT: well under SQLite's and PostgreSQL's limits on bound parameters. */
const BATCH_ROWS = 200;

/**
 * Copies every row of one store into another, both migrated to the same version: from SQLite into
 * PostgreSQL when a Wharf moves to several replicas, or back. The source is read in one
 * transaction (one consistent snapshot) and the target written in one, so a failed copy leaves
 * the target as it was. Ids are kept (revisions and engine labels refer to them, and the instance
 * id names the engine objects this Wharf owns); PostgreSQL's id sequences are moved past them.
 * The target must be empty: a copy never merges two stores. Returns the rows copied per table.
 */
export async function copyStore(from: Kysely<Database>, to: Kysely<Database>): Promise<Map<Table, number>> {
  const occupied: string[] = [];
  for (const table of TABLES) {
    const rows = await countRows(to, table);
    if (rows > 0) occupied.push(`${table} (${rows})`);
  }
  if (occupied.length > 0) throw new Error(`the target store is not empty: ${occupied.join(', ')}; copy only into a new database`);

  const copied = new Map<Table, number>();
  await from.transaction().execute(async (source) => {
    await to.transaction().execute(async (target) => {
      for (const table of TABLES) {
        const rows = (await source.selectFrom(table).selectAll().execute()) as Record<string, unknown>[];
        for (let start = 0; start < rows.length; start += BATCH_ROWS) {
          await target.insertInto(table).values(rows.slice(start, start + BATCH_ROWS) as never).execute();
        }
        copied.set(table, rows.length);
      }
      if (isPostgres(to)) await advanceSequences(target);
    });
  });
  return copied;
}

async function countRows(db: Kysely<Database>, table: Table): Promise<number> {
  const row = await db.selectFrom(table).select((eb) => eb.fn.countAll<number | string>().as('rows')).executeTakeFirst();
  return Number(row?.rows ?? 0);
}

/** Rows inserted with their ids leave a serial column's sequence behind: the next insert would collide. */
async function advanceSequences(db: Kysely<Database>): Promise<void> {
  const serials = await sql<{ table_name: string; column_name: string; sequence: string }>`
    select table_name, column_name, pg_get_serial_sequence(quote_ident(table_name), column_name) as sequence
    from information_schema.columns
    where table_schema = current_schema() and column_default like 'nextval(%'`.execute(db);
  for (const { table_name: table, column_name: column, sequence } of serials.rows) {
    if (!(table in COPY_ORDER)) continue;
    await sql`select setval(${sequence}, coalesce((select max(${sql.ref(column)}) from ${sql.table(table)}), 0) + 1, false)`.execute(db);
  }
}
