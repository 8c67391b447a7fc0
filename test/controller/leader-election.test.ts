import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import { LeaderElector } from '../../src/controller/leader-election.js';
import type { Database } from '../../src/store/database.js';
import { LeaseStore } from '../../src/store/leases.js';
import { migrateToLatest } from '../../src/store/migrations.js';
import { openPostgres } from '../../src/store/postgres.js';
import { eventually } from '../support/api.js';
import { dropTestDatabase, TEST_DATABASE_URL, testDatabase } from '../support/database.js';

const silent = pino({ level: 'silent' });
// Long enough that a loaded machine (CI runs suites side by side) renews in time; short enough for a quick takeover.
const LEASE_MS = 3000;
const RETRY_MS = LEASE_MS / 6;

/** The lease store of a replica whose connection to the database can be cut, as a network partition does. */
class Partitionable {
  cut = false;
  constructor(private readonly leases: LeaseStore) {}
  acquireOrRenew: LeaseStore['acquireOrRenew'] = (...args) => (this.cut ? Promise.reject(new Error('connection lost')) : this.leases.acquireOrRenew(...args));
  release: LeaseStore['release'] = (...args) => (this.cut ? Promise.reject(new Error('connection lost')) : this.leases.release(...args));
}

/** A replica's elector, with every change of its leadership timed. */
function replica(name: string, leases: Partitionable, regions = ['r1']) {
  const elector = new LeaderElector(leases, regions, { replica: name, leaseDurationMs: LEASE_MS }, silent);
  const changes: Array<{ region: string; leading: boolean; at: number }> = [];
  elector.follow((region, leading) => changes.push({ region, leading, at: performance.now() }));
  return { elector, changes, leases };
}

/** The intervals during which a replica led the region (open ones end now). */
function terms(changes: Array<{ region: string; leading: boolean; at: number }>, region = 'r1'): Array<[number, number]> {
  const intervals: Array<[number, number]> = [];
  for (const change of changes.filter((c) => c.region === region)) {
    if (change.leading) intervals.push([change.at, Infinity]);
    else intervals[intervals.length - 1]![1] = change.at;
  }
  return intervals.map(([start, end]) => [start, Math.min(end, performance.now())]);
}

describe('leader election on PostgreSQL leases', { skip: TEST_DATABASE_URL ? false : 'needs PostgreSQL: set WHARF_TEST_DATABASE_URL' }, () => {
  let url: string;
  let db: Kysely<Database>;
  before(async () => {
    url = await testDatabase();
    db = openPostgres(url);
    await migrateToLatest(db);
  });
  after(async () => {
    await db?.destroy();
    if (url) await dropTestDatabase(url);
  });

  it('one replica leads a region, the others follow and name it', async () => {
    const a = replica('a', new Partitionable(new LeaseStore(db)), ['one', 'two']);
    const b = replica('b', new Partitionable(new LeaseStore(db)), ['one', 'two']);
    await a.elector.start();
    await b.elector.start();
    try {
      assert.deepEqual([a.elector.leads('one'), a.elector.leads('two'), b.elector.leads('one'), b.elector.leads('two')], [true, true, false, false]);
      assert.equal(b.elector.leader('one')?.replica, 'a');
      assert.equal(a.elector.leader('two')?.replica, 'a');
      await new Promise((resolve) => setTimeout(resolve, LEASE_MS * 2));
      assert.deepEqual(b.changes, [], `a renewed in time: b never led (a: ${JSON.stringify(a.changes)})`);
      assert.equal(a.changes.filter((change) => !change.leading).length, 0, 'a never stepped down');
    } finally {
      await a.elector.close();
      await b.elector.close();
    }
  });

  it('a cut-off leader stops leading before the lease expires, and another takes over within the lease time', async () => {
    const a = replica('a2', new Partitionable(new LeaseStore(db)));
    const b = replica('b2', new Partitionable(new LeaseStore(db)));
    await a.elector.start();
    await b.elector.start();
    try {
      assert.equal(a.elector.leads('r1'), true);
      const cutAt = performance.now();
      a.leases.cut = true;
      await eventually(async () => b.elector.leads('r1'), (leads) => leads, LEASE_MS * 4);
      const [aTerm] = terms(a.changes);
      const [bTerm] = terms(b.changes);
      assert.ok(aTerm && bTerm, 'each led once');
      assert.ok(aTerm[1] < bTerm[0], `never two leaders: a stopped at ${aTerm[1] - cutAt} ms, b started at ${bTerm[0] - cutAt} ms after the cut`);
      // The last renewal came at most a retry period before the cut; the lease ran for LEASE_MS from it.
      assert.ok(bTerm[0] - cutAt <= LEASE_MS + 2 * RETRY_MS + 500, `b took over ${Math.round(bTerm[0] - cutAt)} ms after the cut`);
      assert.equal(b.elector.leader('r1')?.replica, 'b2');

      // Back, a finds b's lease: it follows.
      a.leases.cut = false;
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS * 3));
      assert.equal(a.elector.leads('r1'), false);
      assert.equal(a.elector.leader('r1')?.replica, 'b2');
    } finally {
      await a.elector.close();
      await b.elector.close();
    }
  });

  it('a leader that closes gives the lease up: another takes over within a retry period, not a lease', async () => {
    const a = replica('a3', new Partitionable(new LeaseStore(db)));
    const b = replica('b3', new Partitionable(new LeaseStore(db)));
    await a.elector.start();
    await b.elector.start();
    try {
      const closedAt = performance.now();
      await a.elector.close();
      await eventually(async () => b.elector.leads('r1'), (leads) => leads, LEASE_MS * 2);
      const [bTerm] = terms(b.changes);
      assert.ok(bTerm![0] - closedAt < LEASE_MS / 2, `b took over ${Math.round(bTerm![0] - closedAt)} ms after a closed`);
    } finally {
      await b.elector.close();
    }
  });

  it('a lease held by a replica of the same name is its own: a restarted replica leads again at once', async () => {
    const first = replica('same', new Partitionable(new LeaseStore(db)), ['r4']);
    await first.elector.start();
    const again = replica('same', new Partitionable(new LeaseStore(db)), ['r4']);
    await again.elector.start();
    try {
      assert.equal(again.elector.leads('r4'), true);
    } finally {
      await first.elector.close();
      await again.elector.close();
    }
  });
});

describe('leader election: closing', () => {
  it('waits for a renewal under way before it releases the lease: a late renewal cannot take it back', async () => {
    const calls: string[] = [];
    let answer = (): void => {};
    const lease = { name: 'r1', holder: 'a', acquiredMs: 0, renewedMs: 0, durationMs: 3000, transitions: 0, readAtMs: 0 };
    const leases = {
      acquireOrRenew: async () => {
        calls.push('renew sent');
        if (calls.length > 1) await new Promise<void>((resolve) => (answer = resolve));
        calls.push('renew answered');
        return lease;
      },
      release: async () => {
        calls.push('release');
      },
    };
    const elector = new LeaderElector(leases, ['r1'], { replica: 'a', leaseDurationMs: 600 }, silent);
    await elector.start();
    await eventually(async () => calls.length, (count) => count >= 3, 2000);
    const closed = elector.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    answer();
    await closed;
    assert.deepEqual(calls, ['renew sent', 'renew answered', 'renew sent', 'renew answered', 'release']);
  });
});

describe('leader election without leases (SQLite: one process)', () => {
  it('leads every region from the start, naming itself', async () => {
    const elector = new LeaderElector(undefined, ['a', 'b'], { replica: 'solo', leaseDurationMs: LEASE_MS }, silent);
    const led: string[] = [];
    elector.follow((region, leading) => leading && led.push(region));
    await elector.start();
    assert.deepEqual(led, ['a', 'b']);
    assert.equal(elector.leads('a'), true);
    assert.equal(elector.leader('b')?.replica, 'solo');
    await elector.close();
    assert.equal(elector.leads('a'), true, 'nobody else could lead it');
  });
});
