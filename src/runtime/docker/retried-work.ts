import { setTimeout as delay } from 'node:timers/promises';

// Like kubelet's image back-off, shorter: a fixed tag often appears within seconds of a push.
const BACKOFF = { baseMs: 1000, maxMs: 30_000 };

/** How long work waits before its attempt number `attempt` + 1 (0: after the first). */
export function retryDelayMs(attempt: number): number {
  return Math.min(BACKOFF.baseMs * 2 ** attempt, BACKOFF.maxMs);
}

/**
 * Work on one pod that the driver runs in the background and retries with backoff until it is
 * done or cancelled (a creation, a removal): the reconcile that asked for it never asks again
 * while the pod shows it under way. Each attempt starts from what the engine has, so it resumes.
 */
export abstract class RetriedWork {
  readonly done: Promise<void>;
  /** Set by `cancel`: an attempt under way checks it between its engine calls. */
  protected cancelled = false;
  private readonly wake = new AbortController();

  /** `before`: what must end before the first attempt. */
  constructor(before: Promise<void> = Promise.resolve()) {
    this.done = before.then(() => this.run());
  }

  /** Stops retrying; the engine call under way finishes first. */
  async cancel(): Promise<void> {
    this.cancelled = true;
    this.wake.abort();
    await this.done;
  }

  /** One try; throws to be tried again after the backoff. */
  protected abstract attempt(attempt: number): Promise<void>;

  /** An attempt failed; the next starts in `retryInMs` unless the work is cancelled meanwhile. */
  protected abstract failed(error: unknown, retryInMs: number): void;

  /** The backoff after a failed attempt is over. */
  protected backedOff(_error: unknown): void {}

  private async run(): Promise<void> {
    for (let attempt = 0; !this.cancelled; attempt++) {
      try {
        await this.attempt(attempt);
        return;
      } catch (error) {
        if (this.cancelled) return;
        const retryInMs = retryDelayMs(attempt);
        this.failed(error, retryInMs);
        await sleep(retryInMs, this.wake.signal);
        if (!this.cancelled) this.backedOff(error);
      }
    }
  }
}

/** Waits `ms`, or less when `signal` aborts. The abort listener goes with the timer: one pod's retries never pile listeners onto its signal. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal }).catch(() => undefined);
}
