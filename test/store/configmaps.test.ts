import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CompiledQuery, type Kysely } from 'kysely';
import { digestsQuery } from '../../src/store/configmaps.js';
import { openSqlite, type Database } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrations.js';

// SQLite's query plan, on SQLite whatever engine the suites run on: the index is there for SQLite's row layout.
describe('ConfigMap digests in the store (SQLite)', () => {
  let dataDir: string;
  let db: Kysely<Database>;
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-store-'));
    db = openSqlite(dataDir);
    await migrateToLatest(db);
    const row = (name: string, digest: string) =>
      ({ region: 'local', project: 'p', name, data: JSON.stringify({ blob: 'x'.repeat(100_000) }), version: 1, digest, created_at: '', updated_at: '' });
    await db.insertInto('configmaps').values([row('a', 'da'), row('b', 'db'), { ...row('c', 'dc'), deleting_since: '2026-01-01T00:00:00.000Z' }]).execute();
  });
  after(async () => {
    await db.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('reads the digests of a project from an index alone, never from the rows that hold the data, without those being deleted', async () => {
    const compiled = digestsQuery(db, 'local', 'p').compile();
    const plan = await db.executeQuery(CompiledQuery.raw(`explain query plan ${compiled.sql}`, [...compiled.parameters]));
    const steps = plan.rows.map((row) => (row as { detail: string }).detail);
    assert.ok(steps.length === 1 && /^SEARCH configmaps USING COVERING INDEX configmaps_digests \(region=\? AND project=\?\)$/.test(steps[0]!), `plan: ${steps.join('; ')}`);
    const rows = await digestsQuery(db, 'local', 'p').execute();
    assert.deepEqual(rows.map((row) => [row.name, row.digest]).sort(), [['a', 'da'], ['b', 'db']], 'c is being deleted: missing to services');
  });
});
