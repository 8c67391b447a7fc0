import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Kysely } from 'kysely';
import { openSqlite, type Database } from '../../src/store/database.js';
import { openPostgres } from '../../src/store/postgres.js';

/**
 * WHARF_TEST_DATABASE_URL: a PostgreSQL server (any database on it, one the role may create
 * databases from) the store and API suites run on instead of SQLite; each test store gets a
 * database of its own, so tests running side by side never see each other's rows.
 */
export const TEST_DATABASE_URL = process.env.WHARF_TEST_DATABASE_URL || undefined;

/** Which engine the suites run on, for test names and skips. */
export const TEST_ENGINE = TEST_DATABASE_URL ? 'postgresql' : 'sqlite';

/**
 * The URL of a test database on the test server, created unless it exists. Named after `dataDir`
 * when given, so a Wharf restarted on the same data dir finds the state it left, as on SQLite.
 */
export async function testDatabase(dataDir?: string): Promise<string> {
  const server = TEST_DATABASE_URL!;
  const name = `wharf_t_${dataDir ? createHash('sha256').update(dataDir).digest('hex').slice(0, 24) : randomBytes(12).toString('hex')}`;
  await admin(server, async (client) => {
    try {
      // C collation: names sort by bytes, as SQLite sorts them (the API lists in name order).
      await client.query(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`);
    } catch (error) {
      if ((error as { code?: string }).code !== '42P04') throw error; // it exists: a restart
    }
  });
  const url = new URL(server);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropTestDatabase(databaseUrl: string): Promise<void> {
  const name = new URL(databaseUrl).pathname.slice(1);
  await admin(TEST_DATABASE_URL!, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

async function admin(url: string, work: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

/** Drops the PostgreSQL database of a data dir a test started Wharfs on (startWharf with its own dataDir); nothing on SQLite. */
export async function dropDatabaseOf(dataDir: string): Promise<void> {
  if (TEST_DATABASE_URL) await dropTestDatabase(await testDatabase(dataDir));
}

/**
 * A store on the engine the suites run on: SQLite in `dataDir`, or the PostgreSQL database of
 * `dataDir` (the one a Wharf started on that data dir by startWharf uses). `drop` removes the
 * PostgreSQL database once the store is closed; SQLite's goes with the data dir.
 */
export async function openTestDatabase(dataDir: string): Promise<{ db: Kysely<Database>; drop(): Promise<void> }> {
  if (!TEST_DATABASE_URL) return { db: openSqlite(dataDir), drop: async () => undefined };
  const url = await testDatabase(dataDir);
  return { db: openPostgres(url), drop: () => dropTestDatabase(url) };
}
