import type { Clock } from '../../../src/runtime/docker/timer-queue.js';

/** A clock whose time moves only when a test says so; timers fire in time order as it moves. */
export class FakeClock implements Clock {
  time = 1_000_000;
  private readonly timers = new Map<number, { at: number; fire: () => void }>();
  private nextId = 1;

  now(): number {
    return this.time;
  }

  setTimeout(fire: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + ms, fire });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Timers pending now. */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, firing each timer at its time and letting the promises it starts settle. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      const [id, next] = [...this.timers].sort(([, a], [, b]) => a.at - b.at)[0] ?? [];
      if (id === undefined || next!.at > end) break;
      this.timers.delete(id);
      this.time = Math.max(this.time, next!.at);
      next!.fire();
      await settle();
    }
    this.time = end;
    await settle();
  }
}

/** Lets pending promise callbacks run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
