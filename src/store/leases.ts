import { sql, type Kysely } from 'kysely';
import type { Database } from './database.js';

/** A lease as the store holds it: Kubernetes' Lease, times in the database's epoch milliseconds. */
export interface Lease {
  name: string;
  holder: string;
  acquiredMs: number;
  renewedMs: number;
  durationMs: number;
  transitions: number;
  /** The database's clock when the lease was read: whether it has expired is judged on that one clock. */
  readAtMs: number;
}

/**
 * Leases on PostgreSQL. Each attempt is one statement, so two replicas racing for a free lease
 * are ordered by the row lock of `on conflict do update`: exactly one's condition holds. Leases
 * take no part in the store's write lock or change feed: a renewal must not wait behind writes.
 */
export class LeaseStore {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Takes the lease for `holder` when it is free, expired or already its own, renewing it; returns
   * the lease as it stands afterwards, whoever holds it.
   */
  async acquireOrRenew(name: string, holder: string, durationMs: number): Promise<Lease> {
    const { rows } = await sql<Lease>`
      with clock as (select ${DATABASE_NOW_MS} as now_ms)
      insert into leases as held (name, holder, acquired_ms, renewed_ms, duration_ms, transitions)
      select ${name}, ${holder}, now_ms, now_ms, ${durationMs}, 0 from clock
      on conflict (name) do update set
        holder = excluded.holder,
        acquired_ms = case when held.holder = excluded.holder then held.acquired_ms else excluded.acquired_ms end,
        renewed_ms = excluded.renewed_ms,
        duration_ms = excluded.duration_ms,
        transitions = held.transitions + case when held.holder = excluded.holder then 0 else 1 end
      where held.holder = excluded.holder or held.renewed_ms + held.duration_ms < excluded.renewed_ms
      returning ${LEASE_COLUMNS}`.execute(this.db);
    return rows[0] ?? (await this.read(name));
  }

  /** Gives the lease up at once (a replica shutting down), so another takes over without waiting for it to expire. */
  async release(name: string, holder: string): Promise<void> {
    await sql`update leases set renewed_ms = 0 where name = ${name} and holder = ${holder}`.execute(this.db);
  }

  private async read(name: string): Promise<Lease> {
    const { rows } = await sql<Lease>`select ${LEASE_COLUMNS} from leases where name = ${name}`.execute(this.db);
    // The attempt's insert made the row if there was none; a row is never deleted.
    if (!rows[0]) throw new Error(`lease ${name} vanished`);
    return rows[0];
  }
}

/** The database's clock, in epoch milliseconds; clock_timestamp, unlike now(), is not frozen at the transaction's start. */
const DATABASE_NOW_MS = sql.raw('(extract(epoch from clock_timestamp()) * 1000)::bigint');

// pg reads bigint as a string; epoch milliseconds are exact in a double, so float8 reads them as numbers.
const LEASE_COLUMNS = sql.raw(
  'name, holder, acquired_ms::float8 as "acquiredMs", renewed_ms::float8 as "renewedMs", duration_ms as "durationMs", transitions, ' +
    '(extract(epoch from clock_timestamp()) * 1000)::float8 as "readAtMs"',
);
