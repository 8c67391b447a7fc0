import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from './database.js';
import { isPostgres, lockWrites } from './postgres.js';

/**
 * The id of the Wharf this store belongs to, made at its first start and kept with the desired
 * state: what Wharf creates on an engine carries it, so a Wharf removes only what its own store
 * asked for, and two Wharfs with different stores never claim one region of an engine.
 */
export async function instanceId(db: Kysely<Database>, now: string): Promise<string> {
  return db.transaction().execute(async (trx) => {
    // Replicas starting together on one PostgreSQL store must agree on one id.
    if (isPostgres(db)) await lockWrites(trx);
    const existing = await trx.selectFrom('instance').select('id').executeTakeFirst();
    if (existing) return existing.id;
    const id = randomBytes(6).toString('hex');
    await trx.insertInto('instance').values({ id, created_at: now }).execute();
    return id;
  });
}
