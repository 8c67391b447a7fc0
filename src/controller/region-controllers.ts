import type { Logger } from 'pino';
import type { Region } from '../regions.js';
import type { Controller } from './controller.js';

const RESTART_DELAY_MS = 1000;

/**
 * The controllers of the regions this replica leads: one per region, started when the replica
 * takes the region's lease and closed when it loses it. Starts and stops of a region run in order.
 */
export class RegionControllers {
  private readonly running = new Map<string, Controller>();
  /** Regions this replica leads: a controller that failed to start is started again while it does. */
  private readonly led = new Set<string>();
  private readonly transitions = new Map<string, Promise<void>>();
  private closed = false;

  constructor(
    private readonly regions: ReadonlyMap<string, Region>,
    private readonly create: (region: Region) => Controller,
    private readonly log: Logger,
  ) {}

  /** What LeaderElector.follow calls. */
  readonly leadershipChanged = (region: string, leading: boolean): void => {
    if (leading) this.led.add(region);
    else this.led.delete(region);
    this.inOrder(region, () => (leading ? this.start(region) : this.stop(region)));
  };

  /** Services waiting for a worker now, in every region led. */
  get queueDepth(): number {
    let depth = 0;
    for (const controller of this.running.values()) depth += controller.queueDepth;
    return depth;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.led.clear();
    for (const region of this.regions.keys()) this.inOrder(region, () => this.stop(region));
    await Promise.all(this.transitions.values());
  }

  private inOrder(region: string, change: () => Promise<void>): void {
    const next = (this.transitions.get(region) ?? Promise.resolve()).then(change);
    this.transitions.set(region, next);
  }

  private async start(region: string): Promise<void> {
    const settings = this.regions.get(region);
    if (this.closed || !settings || !this.led.has(region) || this.running.has(region)) return;
    const controller = this.create(settings);
    try {
      await controller.start();
      this.running.set(region, controller);
    } catch (error) {
      // The store did not answer (an outage): while the lease holds, try again.
      this.log.error({ region, err: error }, 'the controller could not start; trying again');
      await controller.close();
      setTimeout(() => this.inOrder(region, () => this.start(region)), RESTART_DELAY_MS).unref();
    }
  }

  private async stop(region: string): Promise<void> {
    const controller = this.running.get(region);
    this.running.delete(region);
    await controller?.close();
  }
}
