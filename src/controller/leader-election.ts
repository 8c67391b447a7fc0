import type { Logger } from 'pino';
import type { LeaderInfo, Leadership } from '../domain/leadership.js';
import type { Lease, LeaseStore } from '../store/leases.js';

export interface ElectionOptions {
  /** This replica's name in the leases. */
  replica: string;
  /** How long a lease lasts without renewal: how long a dead leader's regions wait for another. */
  leaseDurationMs: number;
}

/** A region's leadership changed: start (true) or stop (false) its controller. */
export type LeadershipListener = (region: string, leading: boolean) => void;

interface Term {
  /** performance.now() when the renewal that last succeeded was sent. */
  renewedAt: number;
}

/**
 * One lease per region, with Kubernetes' leader-election timing: candidates and the leader try
 * every retry period (a sixth of the lease); the leader stops acting when it could not renew
 * within the renew deadline (two thirds of the lease), checked every retry period: at the latest
 * five sixths of a lease after its last renewal, before another replica may take it. The lease is judged on the database's clock alone, so replicas' clocks may differ.
 *
 * Without a lease store (SQLite: one process), this replica leads every region from the start.
 */
export class LeaderElector implements Leadership {
  readonly replica: string;
  private readonly terms = new Map<string, Term>();
  private readonly seen = new Map<string, LeaderInfo | null>();
  /** The attempts under way, by region: close waits for them, or one could take a lease back after its release. */
  private readonly attempting = new Map<string, Promise<void>>();
  private closed = false;
  private listener: LeadershipListener = () => {};
  private timer: NodeJS.Timeout | undefined;
  private readonly retryMs: number;
  private readonly renewDeadlineMs: number;

  constructor(
    private readonly leases: Pick<LeaseStore, 'acquireOrRenew' | 'release'> | undefined,
    private readonly regions: readonly string[],
    private readonly options: ElectionOptions,
    private readonly log: Logger,
  ) {
    this.replica = options.replica;
    this.retryMs = options.leaseDurationMs / 6;
    this.renewDeadlineMs = (options.leaseDurationMs * 2) / 3;
    if (!leases) {
      const since = new Date().toISOString();
      for (const region of regions) {
        this.terms.set(region, { renewedAt: Infinity });
        this.seen.set(region, { replica: this.replica, since });
      }
    }
  }

  /** Campaigns once for every region, then every retry period. */
  async start(): Promise<void> {
    if (!this.leases) return;
    await this.round();
    this.timer = setInterval(() => void this.round(), this.retryMs);
  }

  /** From now on, tells `listener` of every change, starting with the regions this replica leads already. */
  follow(listener: LeadershipListener): void {
    this.listener = listener;
    for (const region of this.terms.keys()) listener(region, true);
  }

  leads(region: string): boolean {
    return this.terms.has(region);
  }

  leader(region: string): LeaderInfo | null {
    return this.seen.get(region) ?? null;
  }

  /** Stops campaigning and gives up the leases, so that another replica takes over at once. Stop the controllers first. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    if (!this.leases) return;
    this.closed = true;
    await Promise.all(this.attempting.values());
    const led = [...this.terms.keys()];
    this.terms.clear();
    await Promise.all(led.map((region) => this.leases!.release(region, this.replica).catch((error: unknown) => {
      this.log.warn({ region, err: error }, 'could not release the lease; another replica takes over when it expires');
    })));
  }

  private async round(): Promise<void> {
    for (const [region, term] of this.terms) {
      if (performance.now() - term.renewedAt > this.renewDeadlineMs) this.stepDown(region, `could not renew the lease within ${this.renewDeadlineMs} ms`);
    }
    // An attempt that hangs (the database is unreachable) holds back only the next ones of its region.
    await Promise.all(
      this.regions.filter((region) => !this.attempting.has(region)).map((region) => {
        const attempt = this.attempt(region);
        this.attempting.set(region, attempt);
        return attempt;
      }),
    );
  }

  private async attempt(region: string): Promise<void> {
    const sentAt = performance.now();
    try {
      const lease = await this.leases!.acquireOrRenew(region, this.replica, this.options.leaseDurationMs);
      if (this.closed) return;
      this.seen.set(region, current(lease));
      if (lease.holder === this.replica) this.renewed(region, sentAt, lease);
      else if (this.terms.has(region)) this.stepDown(region, `replica ${lease.holder} holds the lease`);
    } catch (error) {
      this.log.warn({ region, err: error }, 'lease attempt failed');
    } finally {
      this.attempting.delete(region);
    }
  }

  private renewed(region: string, sentAt: number, lease: Lease): void {
    const term = this.terms.get(region);
    if (term) {
      term.renewedAt = Math.max(term.renewedAt, sentAt);
      return;
    }
    // Taken: free, expired, or still its own after a renewal too late for the deadline.
    this.terms.set(region, { renewedAt: sentAt });
    this.log.info({ region, replica: this.replica, transitions: lease.transitions }, `leading region ${region}`);
    this.listener(region, true);
  }

  private stepDown(region: string, why: string): void {
    this.terms.delete(region);
    this.log.warn({ region, replica: this.replica }, `no longer leading region ${region}: ${why}`);
    this.listener(region, false);
  }
}

/** The lease's holder while it is unexpired, by the database's clock. */
function current(lease: Lease): LeaderInfo | null {
  if (lease.renewedMs + lease.durationMs < lease.readAtMs) return null;
  return { replica: lease.holder, since: new Date(lease.acquiredMs).toISOString() };
}
