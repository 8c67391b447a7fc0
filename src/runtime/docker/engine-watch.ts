import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { keyString, type ServiceKey } from '../../domain/keys.js';
import { engineMessage, isConnectionError } from './client.js';
import { isOwnedBy, keyOfLabels, LABEL, podFilter, regionFilter, type Owner } from './labels.js';
import type { ContainerEvent } from './container-health.js';
import { RegionClaimedError } from './ownership.js';
import { podId, type PodCache } from './pod-cache.js';
import { factsOf, type ContainerFacts } from './pod-status.js';

export interface WatchOptions {
  /** A full listing this often repairs whatever events were missed. */
  resyncIntervalMs: number;
  /** While the engine is unreachable, try again this often. */
  reconnectIntervalMs: number;
  /** Told of every connection after the first (the metrics count reconnects). */
  reconnected?: () => void;
}

// Container events that change what a pod looks like; exec_*, attach, top, … do not.
const STATE_EVENTS = new Set(['create', 'start', 'restart', 'die', 'destroy', 'pause', 'unpause', 'oom', 'rename']);

// Events come in bursts (create, start; die, destroy): one listing of the pod after the burst.
const EVENT_SETTLE_MS = 20;
// Docker's list can still say `running` just after a `die` (its restart policy sets `restarting`
// a moment later) and no event follows until the next start, seconds later: list the pod again.
const AFTER_DIE_MS = 1000;

/**
 * Keeps a region's pod cache fresh: subscribes to the engine's `/events` (filtered by the region's
 * label) before listing every Wharf container, so nothing falls between the two; re-lists a pod
 * whenever an event touches it, everything periodically, and reconnects when the stream ends
 * (dockerd restarted). `notify` gets every service whose pods changed, all of them on a (dis)connect.
 */
export class EngineWatch {
  private connectedNow = false;
  private connectedBefore = false;
  private events: NodeJS.ReadableStream | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly pendingRefresh = new Map<string, NodeJS.Timeout>();
  private readonly pendingRecheck = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly docker: Docker,
    private readonly owner: Owner,
    private readonly cache: PodCache,
    private readonly notify: (keys: ServiceKey[]) => void,
    private readonly onConnect: () => Promise<void>,
    private readonly log: Logger,
    private readonly options: WatchOptions,
    /** Every state event of a spec container (not a sandbox), pods being created included; `listed` gets each full listing. */
    private readonly containers: { event: (event: ContainerEvent) => void; listed: (ids: ReadonlySet<string>) => void } = { event: () => {}, listed: () => {} },
  ) {}

  get connected(): boolean {
    return this.connectedNow;
  }

  /**
   * Connects if the engine answers; otherwise keeps trying in the background (the region is
   * `unknown` meanwhile). Throws when the engine answers but another Wharf holds the region.
   */
  async start(): Promise<void> {
    await this.connect({ atStart: true });
    this.resyncTimer = setInterval(() => void this.resync(), this.options.resyncIntervalMs);
    this.resyncTimer.unref();
  }

  close(): void {
    this.closed = true;
    clearInterval(this.resyncTimer);
    clearTimeout(this.reconnectTimer);
    for (const timer of [...this.pendingRefresh.values(), ...this.pendingRecheck.values()]) clearTimeout(timer);
    this.dropStream();
  }

  async listPod(key: ServiceKey, pod: string): Promise<ContainerFacts[]> {
    return this.list(podFilter(key, pod));
  }

  /** The engine stopped answering: the cache is no longer trustworthy until a reconnect re-lists. */
  lost(error: unknown): void {
    if (this.closed || !this.connectedNow) return;
    this.log.warn({ err: error }, 'lost the Docker engine; reconnecting');
    this.connectedNow = false;
    this.dropStream();
    this.notify(this.cache.keys());
    this.scheduleReconnect(0);
  }

  private async connect({ atStart = false } = {}): Promise<void> {
    try {
      const stream = await this.docker.getEvents({ filters: { type: ['container'], label: regionFilter(this.owner.region) } });
      this.events = stream;
      this.readEvents(stream);
      await this.onConnect();
      const before = this.cache.keys();
      await this.listAll();
      this.connectedNow = true;
      if (this.connectedBefore) this.options.reconnected?.();
      this.connectedBefore = true;
      this.log.info('watching the Docker engine');
      this.notify(uniqueKeys([...before, ...this.cache.keys()]));
    } catch (error) {
      this.dropStream();
      if (this.closed) return;
      if (atStart && error instanceof RegionClaimedError) throw error;
      if (isConnectionError(error)) this.log.warn({ err: engineMessage(error) }, 'the Docker engine does not answer; trying again');
      else this.log.error({ err: engineMessage(error) }, 'connecting to the Docker engine failed; the region stays disconnected; trying again');
      this.scheduleReconnect(this.options.reconnectIntervalMs);
    }
  }

  private scheduleReconnect(delayMs: number): void {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.connect(), delayMs);
  }

  private dropStream(): void {
    const stream = this.events as (NodeJS.ReadableStream & { destroy?: () => void }) | undefined;
    this.events = undefined;
    stream?.removeAllListeners();
    stream?.on('error', () => {}); // a destroyed socket may still report its reset
    stream?.destroy?.();
  }

  private readEvents(stream: NodeJS.ReadableStream): void {
    let buffered = '';
    stream.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line) this.onEvent(JSON.parse(line) as EngineEvent);
      }
    });
    const ended = (error?: unknown): void => {
      if (this.events === stream) this.lost(error ?? new Error('the Docker event stream ended'));
    };
    stream.on('end', () => ended());
    stream.on('close', () => ended());
    stream.on('error', ended);
  }

  private onEvent(event: EngineEvent): void {
    if (!STATE_EVENTS.has(event.Action ?? '')) return;
    const labels = event.Actor?.Attributes ?? {};
    const key = keyOfLabels(labels);
    const pod = labels[LABEL.pod];
    // A pod being created is listed by its creation once done, which covers the events meanwhile.
    if (!key || !pod || !isOwnedBy(labels, this.owner.instanceId)) return;
    const containerId = event.Actor?.ID ?? event.id;
    if (containerId && labels[LABEL.role] === 'container') this.containers.event({ id: containerId, action: event.Action!, key, at: eventTime(event), ...exitCodeOf(labels) });
    if (this.cache.isCreating(key, pod)) return;
    this.scheduleRefresh(this.pendingRefresh, key, pod, EVENT_SETTLE_MS);
    if (event.Action === 'die') this.scheduleRefresh(this.pendingRecheck, key, pod, AFTER_DIE_MS);
  }

  private scheduleRefresh(pending: Map<string, NodeJS.Timeout>, key: ServiceKey, pod: string, delayMs: number): void {
    const id = podId(key, pod);
    if (pending.has(id) || this.closed) return;
    pending.set(id, setTimeout(() => {
      pending.delete(id);
      void this.refreshPod(key, pod);
    }, delayMs));
  }

  /** Lists one pod's containers again and puts them in the cache. */
  async refreshPod(key: ServiceKey, pod: string): Promise<void> {
    const since = this.cache.mark();
    try {
      const facts = await this.listPod(key, pod);
      this.notify(this.cache.applyListing(since, facts, { key, name: pod }));
    } catch (error) {
      this.onListingError(error);
    }
  }

  private async listAll(): Promise<void> {
    const since = this.cache.mark();
    const facts = await this.list(regionFilter(this.owner.region));
    this.containers.listed(new Set(facts.map((container) => container.id)));
    this.notify(this.cache.applyListing(since, facts));
  }

  /** Another Wharf's containers are left out: this one neither adopts nor removes them. */
  private async list(labels: string[]): Promise<ContainerFacts[]> {
    const listed = await this.docker.listContainers({ all: true, filters: { label: labels } });
    // Not `.map(factsOf)`: its second parameter is the time the list was seen, not an index.
    const now = Date.now();
    return listed.filter((container) => isOwnedBy(container.Labels, this.owner.instanceId)).map((container) => factsOf(container, now));
  }

  private async resync(): Promise<void> {
    if (!this.connectedNow) return;
    try {
      await this.listAll();
    } catch (error) {
      this.onListingError(error);
    }
  }

  private onListingError(error: unknown): void {
    if (isConnectionError(error)) this.lost(error);
    else this.log.warn({ err: engineMessage(error) }, 'listing Wharf containers failed');
  }
}

interface EngineEvent {
  Action?: string;
  id?: string;
  time?: number;
  timeNano?: number;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

function eventTime(event: EngineEvent): number {
  if (event.timeNano) return Math.floor(event.timeNano / 1e6);
  return event.time ? event.time * 1000 : Date.now();
}

/** A `die` event carries the exit code among its attributes (with the container's labels). */
function exitCodeOf(attributes: Record<string, string>): { exitCode?: number } {
  const code = Number(attributes.exitCode);
  return attributes.exitCode !== undefined && Number.isInteger(code) ? { exitCode: code } : {};
}

function uniqueKeys(keys: ServiceKey[]): ServiceKey[] {
  return [...new Map(keys.map((key) => [keyString(key), key])).values()];
}
