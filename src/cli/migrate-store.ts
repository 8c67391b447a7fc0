import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Kysely } from 'kysely';
import { copyStore } from '../store/copy-store.js';
import { openSqlite, SQLITE_FILE, type Database } from '../store/database.js';
import { migrateToLatest } from '../store/migrations.js';
import { openPostgres } from '../store/postgres.js';
import { UsageError } from './errors.js';

export const MIGRATE_STORE_USAGE = `migrate-store --from STORE --to STORE
                          copy every row of a stopped Wharf's store into an empty one, e.g.
                          --from sqlite:./data --to postgres://user:password@host/wharf
                          (STORE: sqlite:DATA_DIR or a postgres:// URL)`;

/** `wharf migrate-store`: moves a store between SQLite and PostgreSQL. Prints what it copied. */
export async function migrateStoreCommand(args: string[]): Promise<string> {
  const { values } = parseArgs({ args, options: { from: { type: 'string' }, to: { type: 'string' } } });
  if (!values.from || !values.to) throw new UsageError(`both --from and --to are required\n\nusage: wharf ${MIGRATE_STORE_USAGE}`);
  if (values.from.startsWith('sqlite:') && !existsSync(join(values.from.slice('sqlite:'.length), SQLITE_FILE))) {
    // openSqlite would make an empty store there, and a typo would copy nothing, successfully.
    throw new Error(`--from ${values.from}: no Wharf store there (no ${SQLITE_FILE})`);
  }
  const from = openStore(values.from, '--from');
  let to: Kysely<Database>;
  try {
    to = openStore(values.to, '--to');
  } catch (error) {
    await from.destroy();
    throw error;
  }
  try {
    await migrateToLatest(from);
    await migrateToLatest(to);
    const copied = await copyStore(from, to);
    const lines = [...copied].map(([table, rows]) => `  ${table.padEnd(16)} ${rows}`);
    return `copied ${describeStore(values.from)} into ${describeStore(values.to)}:\n${lines.join('\n')}\n`;
  } finally {
    await Promise.all([from.destroy(), to.destroy()]);
  }
}

function openStore(spec: string, option: string): Kysely<Database> {
  if (/^postgres(ql)?:\/\//.test(spec)) return openPostgres(spec);
  if (spec.startsWith('sqlite:') && spec.length > 'sqlite:'.length) return openSqlite(spec.slice('sqlite:'.length));
  throw new Error(`${option} must be sqlite:DATA_DIR or a postgres:// URL (got "${spec}")`);
}

/** A store as the output names it: a PostgreSQL URL without its password. */
function describeStore(spec: string): string {
  if (!spec.startsWith('postgres')) return spec;
  const url = new URL(spec);
  if (url.password) url.password = '***';
  return url.toString();
}
