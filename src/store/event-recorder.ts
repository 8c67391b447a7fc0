import type { Logger } from 'pino';
import type { EventInput, QueuedEventRecorder } from '../domain/events.js';
import { nextTurn } from '../event-loop.js';
import type { Store } from './store.js';

/** Events written per transaction at most: a crash loop of many pods makes one write, not hundreds. */
const BATCH_SIZE = 500;
/**
 * How long events gather before they are written, unless a batch is full or a caller waits for them
 * (`flushed`): each write is a commit, which holds the event loop while SQLite writes its pages.
 * Written at each turn of the loop, the pods of 10,000 services starting again made 450 commits;
 * gathered, 77, and every pod ran 0.5-4 s sooner (bench/controller-load.ts, restart).
 */
const GATHER_MS = 50;
/** Past this many waiting (a store that no longer answers), new events are dropped, saying so in the log. */
const MAX_QUEUED = 10_000;
/** How often events past the retention's age are dropped when nothing is recorded. */
const PRUNE_INTERVAL_MS = 60_000;

/**
 * What the controller and the engines report, kept in the store. `record` only queues: the caller
 * (a reconcile, an engine's event stream) never waits on the store, and a failing write is logged,
 * never thrown at it.
 */
export class StoreEventRecorder implements QueuedEventRecorder {
  private queue: EventInput[] = [];
  private flushing: Promise<void> | undefined;
  private gathering: NodeJS.Timeout | undefined;
  private dropped = 0;
  private readonly pruneTimer: NodeJS.Timeout;
  /** Events queued and events handed to the store (written or lost), counted since start. */
  private queued = 0;
  private handled = 0;
  private readonly waiters: Array<{ upTo: number; resolve: () => void }> = [];

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly gatherMs = GATHER_MS,
  ) {
    this.pruneTimer = setInterval(() => this.flushSoon(), PRUNE_INTERVAL_MS);
    this.pruneTimer.unref();
  }

  record(event: EventInput): void {
    if (this.queue.length >= MAX_QUEUED) {
      if (this.dropped++ === 0) this.log.error({ queued: this.queue.length }, 'events are not being written: dropping new ones');
      return;
    }
    // Stamped now: a write delayed by a batch must not make it look later than it was.
    this.queue.push({ ...event, time: event.time ?? new Date().toISOString() });
    this.queued++;
    this.flushSoon();
  }

  /**
   * Resolves once every event recorded so far is written (or lost to a failed write), so that
   * what is written next, in a transaction of its own (a rollout's outcome), is listed after them.
   */
  flushed(): Promise<void> {
    if (this.handled >= this.queued) return Promise.resolve();
    const written = new Promise<void>((resolve) => this.waiters.push({ upTo: this.queued, resolve }));
    this.flushSoon();
    return written;
  }

  /** Writes what is queued; the events a close finds are written before the store closes. */
  async close(): Promise<void> {
    clearInterval(this.pruneTimer);
    clearTimeout(this.gathering);
    while (this.flushing) await this.flushing;
    while (this.queue.length > 0) await this.flush();
  }

  /** Writes after `gatherMs`, or at the next turn of the loop when a batch is full or somebody waits. */
  private flushSoon(): void {
    if (this.flushing) return;
    if (this.waiters.length > 0 || this.queue.length >= BATCH_SIZE) this.startFlush();
    else this.gathering ??= setTimeout(() => this.startFlush(), this.gatherMs);
  }

  private startFlush(): void {
    clearTimeout(this.gathering);
    this.gathering = undefined;
    this.flushing = nextTurn()
      .then(() => this.flush())
      .finally(() => {
        this.flushing = undefined;
        if (this.queue.length > 0) this.flushSoon();
      });
  }

  private async flush(): Promise<void> {
    const batch = this.queue.splice(0, BATCH_SIZE);
    try {
      await this.store.recordEvents(batch);
      if (this.dropped > 0) {
        this.log.warn({ dropped: this.dropped }, 'events are written again; some were dropped meanwhile');
        this.dropped = 0;
      }
    } catch (error) {
      this.log.error({ err: error, events: batch.length, first: batch[0] }, 'events could not be written: they are lost');
    }
    this.handled += batch.length;
    for (const waiter of this.waiters.filter((one) => one.upTo <= this.handled)) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }
}
