import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { formatToken, hashSecret, type TokenRecord } from '../domain/tokens.js';
import type { Database, TokensTable } from './database.js';
import { placeholder, reusableQuery } from './reusable-query.js';

export interface NewToken {
  name: string;
  projects: string[];
  admin: boolean;
  expiresAt: string | null;
}

/**
 * How long a token read from the database is trusted without reading it again. A revocation made
 * through this process drops it at once; another replica's is seen within this time (Kubernetes'
 * webhook token authenticator caches for two minutes).
 */
const RECENT_TOKEN_MS = 5_000;
const MAX_RECENT_TOKENS = 10_000;

/** API tokens, in the same database as the desired state. */
export class TokenStore {
  /** Every authenticated request looks its token up: tokens found lately, by id. */
  private readonly recent = new Map<string, { record: TokenRecord; readAt: number }>();
  /** Moves with every revocation, so a read that raced one is not kept. */
  private revocations = 0;
  /** Every authenticated request looks its token up: compiled once, like the store's hot reads. */
  private readonly byId: (db: Kysely<Database>, values: { id: unknown }) => Promise<Array<Selectable<TokensTable>>>;

  constructor(private readonly db: Kysely<Database>) {
    this.byId = reusableQuery<Selectable<TokensTable>, 'id'>(db.selectFrom('tokens').selectAll().where('id', '=', placeholder('id')));
  }

  /** Stores a new token and returns it with its secret, which exists nowhere else afterwards. */
  async create(token: NewToken, now: string): Promise<{ record: TokenRecord; token: string }> {
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const row: Selectable<TokensTable> = {
      id,
      name: token.name,
      secret_hash: hashSecret(secret).toString('hex'),
      projects: JSON.stringify(token.projects),
      admin: token.admin ? 1 : 0,
      expires_at: token.expiresAt,
      revoked_at: null,
      created_at: now,
    };
    await this.db.insertInto('tokens').values(row).execute();
    return { record: toRecord(row), token: formatToken(id, secret) };
  }

  async get(id: string): Promise<TokenRecord | undefined> {
    const now = Date.now();
    const hit = this.recent.get(id);
    if (hit && now - hit.readAt < RECENT_TOKEN_MS) return hit.record;
    const revocations = this.revocations;
    const [row] = await this.byId(this.db, { id });
    const record = row && toRecord(row);
    if (record && revocations === this.revocations) {
      if (this.recent.size >= MAX_RECENT_TOKENS) this.recent.clear();
      this.recent.set(id, { record, readAt: now });
    }
    return record;
  }

  async list(): Promise<TokenRecord[]> {
    const rows = await this.db.selectFrom('tokens').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map(toRecord);
  }

  /** Revokes a token; revoking it again keeps the first time. False when no such token exists. */
  async revoke(id: string, now: string): Promise<boolean> {
    const result = await this.db
      .updateTable('tokens')
      .set((eb) => ({ revoked_at: eb.fn.coalesce('revoked_at', eb.val(now)) }))
      .where('id', '=', id)
      .executeTakeFirst();
    this.revocations++;
    this.recent.delete(id);
    return result.numUpdatedRows > 0n;
  }
}

function toRecord(row: Selectable<TokensTable>): TokenRecord {
  return {
    id: row.id,
    name: row.name,
    projects: JSON.parse(row.projects) as string[],
    admin: row.admin === 1,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    creationTime: row.created_at,
    secretHash: Buffer.from(row.secret_hash, 'hex'),
  };
}
