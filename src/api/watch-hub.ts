import type { Logger } from 'pino';
import { WharfError } from '../domain/errors.js';
import { keyString, type ServiceKey } from '../domain/keys.js';
import type { DesiredService } from '../domain/service.js';
import { nextAvailableInMs } from '../domain/rollout.js';
import type { Region } from '../regions.js';
import type { AppRef, Store } from '../store/store.js';
import type { ServiceJson } from './service-json.js';
import { DEFAULT_SSE_OPTIONS, encodeSseJson, type SseOptions, type SseStream } from './sse.js';

/** Kubernetes' watch event types. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** What one watch follows: a service, every service of an app (a V2 project's: its V2 app), or every service of a project. */
export type WatchScope =
  | { kind: 'service'; key: ServiceKey }
  | { kind: 'app'; ref: AppRef }
  | { kind: 'project'; region: string; project: string };

export interface WatchOptions {
  /** Messages kept, over all watches, for clients that resume with Last-Event-ID. */
  historySize: number;
  /**
   * How long what a watch followed stays followed once its last client left, so that a client
   * reconnecting within it resumes from its Last-Event-ID; later it gets the current state.
   */
  idleTrackingMs: number;
  sse: SseOptions;
}

export const DEFAULT_WATCH_OPTIONS: WatchOptions = { historySize: 4096, idleTrackingMs: 5 * 60_000, sse: DEFAULT_SSE_OPTIONS };

/** Sent first when a Last-Event-ID cannot be resumed: drop what you knew, the current state follows. */
export const RESET_EVENT = 'RESET';

interface Tracked {
  key: ServiceKey;
  /** The view last announced, serialized. */
  json: string;
  /** A pod becomes available by time alone: look again then. */
  recheck?: NodeJS.Timeout;
}

interface Scope {
  id: string;
  scope: WatchScope;
  /** Every change of a service it covers since this message was announced. */
  trackedSince: number;
  watchers: Set<Watcher>;
  idleTimer?: NodeJS.Timeout;
}

interface Announced {
  seq: number;
  key: ServiceKey;
  frame: string;
}

/**
 * The state watches of services. A committed write (Store.onCommit, other replicas' included) or
 * an engine change (Region.changes) of a watched service recomputes its view, as GET serves it,
 * once; a message goes out only when that view changed, encoded once and shared by every client.
 * Each message has a sequence number (its SSE id, above every id of an earlier server) and the
 * last `historySize` are kept, so a client that reconnects with Last-Event-ID gets what it missed.
 * Changes are handled one at a time, in order, so a client's first state and the messages after
 * it never overlap or leave a gap.
 */
export class WatchHub {
  /** Starts at the clock in microseconds: a restarted server's ids are above the old ones, so an old id is never mistaken for a recent one. */
  private seq = Date.now() * 1000;
  private readonly history: (Announced | undefined)[];
  private readonly tracked = new Map<string, Tracked>();
  private readonly scopes = new Map<string, Scope>();
  private readonly pending = new Set<string>();
  private tail: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly regions: Map<string, Region>,
    private readonly serviceJson: ServiceJson,
    private readonly log: Logger,
    readonly options: WatchOptions = DEFAULT_WATCH_OPTIONS,
  ) {
    this.history = new Array<Announced | undefined>(options.historySize);
    store.onCommit((keys) => keys.forEach((key) => this.changed(key)));
    for (const region of regions.values()) region.changes.listen((key) => this.changed(key));
  }

  /**
   * Starts a watch; rejects as GET would (404 for a missing service or app) before anything is
   * sent. The first messages are what the client missed since `lastEventId`, or, without one or
   * when it is too old, the current state (ADDED for each service, after a RESET when an id was
   * given); then every change.
   */
  subscribe(scope: WatchScope, lastEventId: string | undefined): Promise<Watcher> {
    return this.serially(() => this.join(scope, lastEventId));
  }

  /** How many clients watch now. */
  get clients(): number {
    let count = 0;
    for (const scope of this.scopes.values()) count += scope.watchers.size;
    return count;
  }

  /** Ends every watch: their clients reconnect (to another replica, or once this one is back). */
  close(): void {
    this.closed = true;
    for (const scope of this.scopes.values()) {
      clearTimeout(scope.idleTimer);
      for (const watcher of scope.watchers) watcher.close();
    }
    for (const tracked of this.tracked.values()) clearTimeout(tracked.recheck);
  }

  /** Every commit and engine change passes here: with nothing watched it costs one size check. */
  private changed(key: ServiceKey): void {
    if (this.scopes.size === 0 || this.closed) return;
    const id = keyString(key);
    if (this.pending.has(id) || !this.covers(key, id)) return;
    this.pending.add(id);
    void this.serially(async () => {
      this.pending.delete(id);
      await this.recompute(key, id);
    }).catch((error: unknown) => {
      this.log.error({ err: error, service: id }, 'watch: reading the service failed; trying again');
      setTimeout(() => this.changed(key), 1000).unref();
    });
  }

  private serially<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.then(() => undefined, () => undefined);
    return result;
  }

  private covers(key: ServiceKey, id: string): boolean {
    return this.tracked.has(id) || this.watched(key);
  }

  /** Whether a scope covers the service: its own, its app's or its project's. */
  private watched(key: ServiceKey): boolean {
    return scopeIdsOf(key).some((id) => this.scopes.has(id));
  }

  private async recompute(key: ServiceKey, id: string): Promise<void> {
    if (!this.covers(key, id)) return;
    const desired = await this.store.findDesired(key);
    const view = desired && this.view(desired);
    const before = this.tracked.get(id);
    if (view === undefined) {
      if (!before) return;
      clearTimeout(before.recheck);
      this.tracked.delete(id);
      this.announce(key, 'DELETED', before.json);
      return;
    }
    if (before?.json !== view) {
      this.tracked.set(id, { key, json: view, ...(before?.recheck ? { recheck: before.recheck } : {}) });
      this.announce(key, before ? 'MODIFIED' : 'ADDED', view);
    }
    this.recheckWhenAvailable(key, id, desired!);
  }

  /** The service as GET answers it. */
  private view(desired: DesiredService): string | undefined {
    const region = this.regions.get(desired.key.region);
    return region && this.serviceJson.of(desired, region).toString();
  }

  /** `available` grows by time alone (minReadySeconds): no event says so, so look again then. */
  private recheckWhenAvailable(key: ServiceKey, id: string, desired: DesiredService): void {
    const observed = this.regions.get(key.region)?.runtime.observe(key);
    const wait = nextAvailableInMs(observed?.pods ?? [], desired.rollout.minReadySeconds, Date.now());
    const tracked = this.tracked.get(id);
    if (tracked) clearTimeout(tracked.recheck);
    if (wait === undefined || !tracked) return;
    tracked.recheck = setTimeout(() => this.changed(key), wait + 5);
    tracked.recheck.unref();
  }

  private announce(key: ServiceKey, type: WatchEventType, json: string): void {
    const seq = ++this.seq;
    const frame = encodeSseJson(String(seq), type, json);
    this.history[seq % this.history.length] = { seq, key, frame };
    for (const scopeId of scopeIdsOf(key)) {
      for (const watcher of this.scopes.get(scopeId)?.watchers ?? []) watcher.deliver(frame);
    }
  }

  private async join(scope: WatchScope, lastEventId: string | undefined): Promise<Watcher> {
    if (this.closed) throw new WharfError('RuntimeUnavailable', 'the server is shutting down: watch again in a moment');
    // The same reads as GET: the same 404s, and the services the scope has now.
    const current = await this.read(scope);
    const id = scopeId(scope);
    let entry = this.scopes.get(id);
    const resumable = entry !== undefined;
    if (!entry) {
      entry = { id, scope, trackedSince: this.seq, watchers: new Set() };
      this.scopes.set(id, entry);
      // Followed from now: what the scope has is the state later changes are compared with.
      for (const desired of current) {
        const serviceId = keyString(desired.key);
        if (this.tracked.has(serviceId)) continue;
        const view = this.view(desired);
        if (view === undefined) continue;
        this.tracked.set(serviceId, { key: desired.key, json: view });
        this.recheckWhenAvailable(desired.key, serviceId, desired);
      }
    }
    clearTimeout(entry.idleTimer);
    const since = parseEventId(lastEventId);
    const missed = resumable && since !== undefined ? this.since(since, entry) : undefined;
    const first = missed ?? [
      ...(lastEventId === undefined ? [] : [encodeSseJson(undefined, RESET_EVENT, JSON.stringify({ message: `cannot resume from event ${lastEventId}: it is too old or from another server; the current state follows` }))]),
      ...this.snapshot(entry.scope),
    ];
    const watcher = new Watcher(first, (gone) => this.leave(entry, gone));
    entry.watchers.add(watcher);
    return watcher;
  }

  private read(scope: WatchScope): Promise<DesiredService[]> {
    switch (scope.kind) {
      case 'service':
        return this.store.getService(scope.key).then((desired) => [desired]);
      case 'app':
        return this.store.listServices(scope.ref);
      case 'project':
        return this.store.listProjectServices(scope.region, scope.project);
    }
  }

  /** The messages after `since` of the scope's services, or undefined when some may be gone. */
  private since(since: number, scope: Scope): string[] | undefined {
    const oldestKept = this.seq - this.history.length + 1;
    if (since < scope.trackedSince || since + 1 < oldestKept || since > this.seq) return undefined;
    const frames: string[] = [];
    for (let seq = since + 1; seq <= this.seq; seq++) {
      const message = this.history[seq % this.history.length];
      if (message && message.seq === seq && inScope(scope.scope, message.key)) frames.push(message.frame);
    }
    return frames;
  }

  /** ADDED for every service of the scope as last announced, all with the id of the last message: resuming from it misses nothing. */
  private snapshot(scope: WatchScope): string[] {
    const services = [...this.tracked.values()].filter((tracked) => inScope(scope, tracked.key));
    services.sort((a, b) => keyString(a.key).localeCompare(keyString(b.key)));
    return services.map((tracked) => encodeSseJson(String(this.seq), 'ADDED', tracked.json));
  }

  private leave(scope: Scope, watcher: Watcher): void {
    scope.watchers.delete(watcher);
    if (scope.watchers.size > 0 || this.closed) return;
    // In turn with the changes: one being computed must not see its service forgotten halfway.
    scope.idleTimer = setTimeout(() => void this.serially(async () => this.forget(scope)), this.options.idleTrackingMs);
    scope.idleTimer.unref();
  }

  /** Nobody watched the scope for idleTrackingMs: its services are followed no more unless another scope covers them. */
  private forget(scope: Scope): void {
    if (scope.watchers.size > 0) return;
    this.scopes.delete(scope.id);
    for (const [id, tracked] of this.tracked) {
      if (this.watched(tracked.key)) continue;
      clearTimeout(tracked.recheck);
      this.tracked.delete(id);
    }
  }
}

/**
 * One client's watch. Messages wait here until the route has opened its stream (the hub may
 * announce a change meanwhile), then go straight to the stream; a stream cut off or closed leaves.
 */
export class Watcher {
  private stream: SseStream | undefined;
  private buffered: string[];
  private closed = false;

  constructor(first: string[], private readonly left: (watcher: Watcher) => void) {
    this.buffered = first;
  }

  attach(stream: SseStream): void {
    this.stream = stream;
    stream.onClose(() => this.close());
    stream.sendInitial(this.buffered.splice(0));
  }

  deliver(frame: string): void {
    if (this.closed) return;
    if (this.stream) this.stream.sendEncoded(frame);
    else this.buffered.push(frame);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.buffered = [];
    this.stream?.close();
    this.left(this);
  }
}

function scopeId(scope: WatchScope): string {
  switch (scope.kind) {
    case 'service':
      return `service:${keyString(scope.key)}`;
    case 'app':
      return `app:${scope.ref.region}/${scope.ref.project}/${scope.ref.app}`;
    case 'project':
      return `project:${scope.region}/${scope.project}`;
  }
}

/** The scopes that cover a service: itself, its app, its project. */
function scopeIdsOf(key: ServiceKey): string[] {
  return [
    scopeId({ kind: 'service', key }),
    scopeId({ kind: 'app', ref: { region: key.region, project: key.project, app: key.app } }),
    scopeId({ kind: 'project', region: key.region, project: key.project }),
  ];
}

function inScope(scope: WatchScope, key: ServiceKey): boolean {
  return scopeIdsOf(key).includes(scopeId(scope));
}

/** A Last-Event-ID this server could have sent: a whole number. */
function parseEventId(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,16}$/.test(text)) return undefined;
  return Number(text);
}
