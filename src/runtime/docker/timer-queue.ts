/** Time as the prober sees it; tests pass a fake one. */
export interface Clock {
  now(): number;
  setTimeout(fire: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fire, ms) => {
    const timer = setTimeout(fire, ms);
    // Probing never keeps a process alive that has nothing else to do.
    timer.unref();
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

interface Entry {
  at: number;
  key: string;
  /** Which schedule of the key this is: a later `schedule` or `cancel` makes earlier entries stale. */
  generation: number;
}

/**
 * Many deadlines behind one timer: a binary heap by time, and the timer set for the earliest.
 * Probes of thousands of containers cost one pending timer, not one interval each. Rescheduling
 * or cancelling a key leaves its old entry in the heap, skipped when it comes up.
 */
export class TimerQueue {
  private readonly heap: Entry[] = [];
  private readonly generations = new Map<string, number>();
  private generation = 0;
  private timer: unknown;
  private timerAt = Infinity;
  private closed = false;

  constructor(private readonly clock: Clock, private readonly onDue: (key: string) => void) {}

  /** `key` comes due at `at` (epoch ms), replacing any earlier schedule of it. */
  schedule(key: string, at: number): void {
    if (this.closed) return;
    const generation = ++this.generation;
    this.generations.set(key, generation);
    this.push({ at, key, generation });
    if (at < this.timerAt) this.arm();
  }

  cancel(key: string): void {
    this.generations.delete(key);
  }

  has(key: string): boolean {
    return this.generations.has(key);
  }

  /** How many keys are scheduled. */
  get size(): number {
    return this.generations.size;
  }

  close(): void {
    this.closed = true;
    this.clock.clearTimeout(this.timer);
    this.generations.clear();
    this.heap.length = 0;
  }

  private arm(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    this.dropStale();
    const first = this.heap[0];
    if (!first || this.closed) return;
    this.timerAt = first.at;
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(first.at - this.clock.now(), 0));
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.clock.now();
    const due: string[] = [];
    for (this.dropStale(); this.heap[0] && this.heap[0].at <= now; this.dropStale()) {
      const entry = this.pop();
      this.generations.delete(entry.key);
      due.push(entry.key);
    }
    // Armed before the callbacks run: those that schedule again only move the timer earlier.
    this.arm();
    for (const key of due) this.onDue(key);
  }

  private dropStale(): void {
    while (this.heap[0] && this.generations.get(this.heap[0].key) !== this.heap[0].generation) this.pop();
  }

  private push(entry: Entry): void {
    const heap = this.heap;
    heap.push(entry);
    for (let i = heap.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.at <= heap[i]!.at) break;
      [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
      i = parent;
    }
  }

  private pop(): Entry {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      for (let i = 0; ; ) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && heap[left]!.at < heap[smallest]!.at) smallest = left;
        if (right < heap.length && heap[right]!.at < heap[smallest]!.at) smallest = right;
        if (smallest === i) break;
        [heap[smallest], heap[i]] = [heap[i]!, heap[smallest]!];
        i = smallest;
      }
    }
    return top;
  }
}
