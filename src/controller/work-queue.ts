export interface BackoffOptions {
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * A queue of keys with the guarantees of client-go's workqueue: a key is queued at most once,
 * never handed to two workers at a time, and a key added while being processed is processed
 * again after. Failed keys come back with exponential backoff.
 */
export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly delayed = new Map<string, NodeJS.Timeout>();
  private readonly wakeUps = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private waiters: Array<(key: string | undefined) => void> = [];
  private shuttingDown = false;

  constructor(private readonly backoff: BackoffOptions) {}

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    const waiter = this.waiters.shift();
    if (waiter) this.hand(key, waiter);
    else this.queue.push(key);
  }

  /** Requeues a key that failed, after a delay that doubles with each consecutive failure. */
  addRateLimited(key: string): number {
    const failures = this.failures.get(key) ?? 0;
    this.failures.set(key, failures + 1);
    const delay = Math.min(this.backoff.baseDelayMs * 2 ** failures, this.backoff.maxDelayMs);
    if (!this.shuttingDown && !this.delayed.has(key)) {
      const timer = setTimeout(() => {
        this.delayed.delete(key);
        this.add(key);
      }, delay);
      this.delayed.set(key, timer);
    }
    return delay;
  }

  /**
   * Queues the key once `delayMs` has passed (a pod becomes available, a deadline passes, by time
   * alone). An earlier wake-up already set for the key holds.
   */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    const at = Date.now() + delayMs;
    const set = this.wakeUps.get(key);
    if (set && set.at <= at) return;
    if (set) clearTimeout(set.timer);
    const timer = setTimeout(() => {
      this.wakeUps.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.wakeUps.set(key, { at, timer });
  }

  /** The key succeeded: its next failure starts the backoff again from the base delay. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** The next key to process, or undefined once the queue shuts down. */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.queue.shift();
    if (key !== undefined) return new Promise((resolve) => this.hand(key, resolve));
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key) && !this.shuttingDown) {
      const waiter = this.waiters.shift();
      if (waiter) this.hand(key, waiter);
      else this.queue.push(key);
    }
  }

  get length(): number {
    return this.queue.length;
  }

  shutdown(): void {
    this.shuttingDown = true;
    for (const timer of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    for (const { timer } of this.wakeUps.values()) clearTimeout(timer);
    this.wakeUps.clear();
    for (const waiter of this.waiters) waiter(undefined);
    this.waiters = [];
  }

  private hand(key: string, to: (key: string) => void): void {
    this.dirty.delete(key);
    this.processing.add(key);
    to(key);
  }
}
