/**
 * Resolves after a turn of the event loop, once the I/O waiting (HTTP requests) has been served.
 * Work that needs no I/O (a reconcile on the simulated runtime, SQLite's synchronous driver, the
 * store's cache) resolves in microtasks alone, and the loop serves no I/O until the microtasks run
 * out: without turns, a queue of 10,000 reconciles held every request until it drained.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The controller's share of the event loop: work may run back to back for `sliceMs`, then waits a
 * turn. A turn after every reconcile would starve the controller while requests keep coming (each
 * turn serves every request waiting, then one reconcile per worker); a slice keeps the delay it
 * adds to a request short and still gets through thousands of services.
 */
export class EventLoopShare {
  /** performance.now() when the current slice began; undefined once the loop has had a turn since. */
  private sliceStart: number | undefined;

  constructor(private readonly sliceMs: number) {}

  /** Call between two pieces of work: resolves at once within the slice, after a turn of the loop once it is spent. */
  async pause(): Promise<void> {
    if (this.spent()) await nextTurn();
  }

  /**
   * Whether the slice is spent, so the caller waits a turn (`nextTurn`) before more work; starts a
   * slice when none runs. A loop that must not make a promise per piece of work calls this.
   */
  spent(): boolean {
    if (this.sliceStart === undefined) {
      this.sliceStart = performance.now();
      // Queued before any turn waited for once this slice is spent, so it runs first in that turn: the next slice starts after it.
      setImmediate(() => (this.sliceStart = undefined));
      return false;
    }
    return performance.now() - this.sliceStart >= this.sliceMs;
  }
}
