import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, type Generated, type SqliteDatabase } from 'kysely';

export interface AppsTable {
  id: Generated<number>;
  region: string;
  project: string;
  name: string;
  created_at: string;
}

export interface ServicesTable {
  id: Generated<number>;
  app_id: number;
  uid: string;
  name: string;
  type: string;
  /** JSON: the current revision's Template (domain/template.ts): resource spec, normalized containers, GPUs */
  template: string;
  instance_number: number;
  stopped: number;
  /** JSON: the seed's port list */
  ports: string;
  revision: number;
  template_hash: string;
  created_at: string;
  updated_at: string;
  min_ready_seconds: number;
  progress_deadline_seconds: number;
  auto_rollback: number;
  /** JSON: the current revision's RolloutRecord, written by the controller; null: not looked at yet */
  rollout: string | null;
}

export interface RevisionsTable {
  service_id: number;
  revision: number;
  /** JSON: the revision's Template */
  template: string;
  template_hash: string;
  created_at: string;
}

export interface TokensTable {
  id: string;
  name: string;
  /** hex SHA-256 of the token's secret; the secret itself is never stored */
  secret_hash: string;
  /** JSON: the project names the token covers */
  projects: string;
  admin: number;
  expires_at: string | null;
  revoked_at: string | null;
  created_at: string;
}

export interface ConfigMapsTable {
  id: Generated<number>;
  region: string;
  project: string;
  name: string;
  /** JSON: the keys and values */
  data: string;
  version: number;
  digest: string;
  created_at: string;
  updated_at: string;
  /** Set by a DELETE: the controller is removing it from the engine (see DeletionStore). */
  deleting_since: string | null;
  /** Why the last attempt to remove it from the engine failed; "" until one did. */
  delete_message: Generated<string>;
}

export interface VolumesTable {
  id: Generated<number>;
  region: string;
  project: string;
  name: string;
  size_gi: number;
  /** One of the region's storage types; "" only for a volume from before they existed, until Wharf starts (VolumeStore.typeUntyped). */
  storage_type: string;
  fs_type: string;
  created_at: string;
  /** Set by a DELETE: the controller is removing it from the engine (see DeletionStore). */
  deleting_since: string | null;
  /** Why the last attempt to remove it from the engine failed; "" until one did. */
  delete_message: Generated<string>;
}

/** One row: the id of this store's Wharf, which labels what it creates on an engine. */
export interface InstanceTable {
  id: string;
  created_at: string;
}

export interface ProjectQuotasTable {
  region: string;
  project: string;
  /** JSON: QuotaLimits the admin set for the project */
  limits: string;
  updated_at: string;
}

export interface EventsTable {
  /** Renumbered by each repeat: the order of last occurrences, and what a watch resumes from. */
  id: Generated<number>;
  service_id: number;
  type: string;
  reason: string;
  message: string;
  /** "" when the event is of no pod (container: of no container). */
  pod: string;
  container: string;
  revision: number | null;
  count: number;
  first_time: string;
  time: string;
}

/**
 * Who runs the controller of a region (controller/leader-election.ts), with Kubernetes' Lease
 * fields. Times are epoch milliseconds of the database's clock, the one clock every replica shares.
 * Used on PostgreSQL only: a SQLite store has one process, leader of itself.
 */
export interface LeasesTable {
  /** The region. */
  name: string;
  holder: string;
  acquired_ms: number;
  renewed_ms: number;
  duration_ms: number;
  /** How many times the lease changed hands. */
  transitions: number;
}

export interface Database {
  apps: AppsTable;
  services: ServicesTable;
  revisions: RevisionsTable;
  configmaps: ConfigMapsTable;
  volumes: VolumesTable;
  tokens: TokensTable;
  instance: InstanceTable;
  project_quotas: ProjectQuotasTable;
  events: EventsTable;
  leases: LeasesTable;
}

/** The store's file in a data dir. */
export const SQLITE_FILE = 'wharf.sqlite';

/**
 * The embedded store: one SQLite file in `dataDir`. WAL lets reads run beside a write;
 * synchronous=FULL makes a committed transaction survive a power cut, not only a crash.
 */
export function openSqlite(dataDir: string): Kysely<Database> {
  mkdirSync(dataDir, { recursive: true });
  const sqlite = new SQLite(join(dataDir, SQLITE_FILE));
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: reusingStatements(sqlite) }) });
}

const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely prepares every query anew, and preparing costs more than running an indexed lookup.
 * The queries Wharf builds take their values as parameters, so their SQL text repeats and a
 * prepared statement can be reused. Safe because Kysely runs a statement to completion
 * (`all`/`run`) before the next one; nothing here streams rows with `iterate`.
 */
function reusingStatements(sqlite: SQLite.Database): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare: (text) => {
      let statement = statements.get(text);
      if (!statement) {
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.clear();
        statement = sqlite.prepare(text);
        statements.set(text, statement);
      }
      return statement;
    },
  };
}

/** A unique constraint refused the write: someone else created the same name first. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  // better-sqlite3 reports SQLITE_CONSTRAINT_UNIQUE; PostgreSQL reports 23505.
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}
