import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrations.js';
import { TokenStore } from '../../src/store/tokens.js';
import { openTestDatabase } from '../support/database.js';

describe('tokens in the store, as two replicas read them', () => {
  let dataDir: string;
  let databases: Array<{ db: Kysely<Database>; drop(): Promise<void> }>;
  let here: TokenStore;
  let there: TokenStore;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-tokens-'));
    databases = [await openTestDatabase(dataDir), await openTestDatabase(dataDir)];
    await migrateToLatest(databases[0]!.db);
    here = new TokenStore(databases[0]!.db);
    there = new TokenStore(databases[1]!.db);
  });
  after(async () => {
    for (const { db } of databases) await db.destroy();
    await databases[0]!.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('reads a token once and serves it from memory; its own revocation counts at once, another replica\'s within 5 s', async () => {
    const { record } = await here.create({ name: 'ci', projects: ['proj'], admin: false, expiresAt: null }, new Date().toISOString());
    const seen = await there.get(record.id);
    assert.equal(await there.get(record.id), seen, 'the second read is the first one, from memory');
    assert.equal((await here.get(record.id))?.revokedAt, null);

    assert.equal(await here.revoke(record.id, new Date().toISOString()), true);
    assert.notEqual((await here.get(record.id))?.revokedAt, null, 'revoked here: at once');
    assert.equal((await there.get(record.id))?.revokedAt, null, 'the other replica still has its read');
    await new Promise((resolve) => setTimeout(resolve, 5_100));
    assert.notEqual((await there.get(record.id))?.revokedAt, null, 'and reads it again once that is 5 s old');
  });
});
