import pg from 'pg';
import { Kysely, PostgresAdapter, PostgresDialect, sql, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from './database.js';

/** The channel committed writes are announced on (see ChangeListener). */
export const CHANGE_CHANNEL = 'wharf_changes';

/**
 * The key of the advisory lock every write transaction takes. SQLite runs one writer at a time,
 * and the store's read-modify-writes (updateService, the workload-name check, quotas, ConfigMap
 * versions) are correct because of that; on PostgreSQL this lock gives every replica the same
 * guarantee, whatever row a write reads. Transaction-scoped: released by commit or rollback, and
 * by PostgreSQL itself when a replica dies mid-write.
 */
const WRITE_LOCK = 0x57_48_41_52_46; // "WHARF"

/** A pool on a PostgreSQL database, `postgres://user:password@host:port/database`. */
export function openPostgres(url: string, log?: Logger): Kysely<Database> {
  // A server that does not answer fails a request within seconds (503 StoreUnavailable) instead of holding it forever.
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5000 });
  // A connection the server drops emits "error": on the pool while idle, on the client while checked
  // out (in a transaction, between two statements). Unhandled, either ends the process; handled,
  // the transaction fails on its next statement and the request answers 503 StoreUnavailable.
  const warn = (error: Error): void => log?.warn({ err: error }, 'a PostgreSQL connection of the pool failed');
  pool.on('error', warn);
  pool.on('connect', (client) => client.on('error', warn));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations ask too, before the typed schema exists
export function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** First statement of a write transaction on PostgreSQL: waits until no other writer of any replica runs. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- instanceId writes too
export async function lockWrites(trx: Transaction<any>): Promise<void> {
  await sql`select pg_advisory_xact_lock(${WRITE_LOCK})`.execute(trx);
}

/** Inside a write transaction: PostgreSQL delivers the payload to every listener when, and only if, it commits. */
export async function announce(trx: Transaction<Database>, payload: string): Promise<void> {
  await sql`select pg_notify(${CHANGE_CHANNEL}, ${payload})`.execute(trx);
}
