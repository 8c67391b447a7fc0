import type { Probe, ProbeKind } from '../../model/probe.js';
import { keyString, type ServiceKey } from '../../domain/keys.js';
import { activeProbes, INITIAL_PROBE_STATE, isContainerReady, mustRestart, nextProbeState, type ContainerProbes } from '../../domain/probes.js';
import { STATE_KEY } from './container-status.js';
import type { ContainerProbeSpecs } from './labels.js';
import type { ProbeOutcome, ProbeRunner } from './probe-runners.js';
import { systemClock, TimerQueue, type Clock } from './timer-queue.js';

/** A running container with probes, as the prober needs it. */
export interface ProbeTarget {
  /** The container's id. */
  id: string;
  key: ServiceKey;
  pod: string;
  container: string;
  probes: ContainerProbeSpecs;
  /** Epoch ms it last started (exact): probes count initialDelaySeconds from here; a new start resets them. */
  startedAt: number;
  /** The pod's address on its project network. */
  ip?: string;
}

export interface ProberOptions {
  run: ProbeRunner;
  /** Readiness of a container of the service changed. */
  onChange: (key: ServiceKey) => void;
  /** A probe passed after failing, or failed (again, for another reason) without changing readiness: what the container's status says changed. */
  onResult?: (key: ServiceKey) => void;
  /** The container's liveness or startup probe reached its failure threshold: it must be restarted. */
  onRestart: (target: ProbeTarget, probe: 'livenessProbe' | 'startupProbe', failure: string) => void;
  clock?: Clock;
  /** In [0, 1): spreads probes over time. */
  random?: () => number;
}

interface Watched {
  target: ProbeTarget;
  states: ContainerProbes;
  ready: boolean;
  /** When a startup or readiness probe last made it ready. */
  readyAt?: number;
  /** A restart was asked for: no probe runs until the container starts again (a new target). */
  halted: boolean;
  inFlight: Set<ProbeKind>;
}

// Each run comes up to this share of its period late (at most MAX_JITTER_MS), so that probes that
// started together drift apart instead of hitting the engine and the network in bursts.
const JITTER_SHARE = 0.1;
const MAX_JITTER_MS = 1000;

/**
 * Runs the probes of every running container of a region, as the kubelet does, from one timer
 * queue: each active probe (domain/probes.ts activeProbes) of a container runs every
 * periodSeconds, first initialDelaySeconds after the container started; its results go through
 * `nextProbeState`. A container's probes start over when it starts again (a new StartedAt).
 */
export class Prober {
  private readonly watched = new Map<string, Watched>();
  private readonly byService = new Map<string, Set<string>>();
  private readonly queue: TimerQueue;
  private readonly clock: Clock;
  private readonly random: () => number;
  private closed = false;

  constructor(private readonly options: ProberOptions) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.queue = new TimerQueue(this.clock, (key) => this.due(key));
  }

  /**
   * The service's running containers with probes, as they are now: new ones start being probed,
   * ones that started again start over, ones missing stop.
   */
  sync(key: ServiceKey, targets: ProbeTarget[]): void {
    if (this.closed) return;
    const service = keyString(key);
    const ids = new Set(targets.map((target) => target.id));
    for (const id of this.byService.get(service) ?? []) if (!ids.has(id)) this.drop(id);
    for (const target of targets) {
      const current = this.watched.get(target.id);
      if (current && current.target.startedAt === target.startedAt) {
        current.target = target; // the same run of the container; its address may have been learnt since
        continue;
      }
      if (current) this.drop(target.id);
      this.watch(target);
    }
    if (ids.size > 0) this.byService.set(service, ids);
    else this.byService.delete(service);
  }

  /** Where the container's probes stand; undefined for a container not probed. */
  health(id: string): { probes: ContainerProbes; readyAt?: number } | undefined {
    const watched = this.watched.get(id);
    if (!watched) return undefined;
    return { probes: watched.states, ...(watched.readyAt !== undefined ? { readyAt: watched.readyAt } : {}) };
  }

  /** Containers probed now (for tests and logs). */
  get size(): number {
    return this.watched.size;
  }

  /** The container's restart did not happen: probe it again from scratch. */
  resume(id: string): void {
    const watched = this.watched.get(id);
    if (watched?.halted) {
      this.drop(id);
      this.watch(watched.target);
    }
  }

  close(): void {
    this.closed = true;
    this.queue.close();
    this.watched.clear();
    this.byService.clear();
  }

  private watch(target: ProbeTarget): void {
    const watched: Watched = { target, states: {}, ready: isContainerReady(target.probes, {}), halted: false, inFlight: new Set() };
    this.watched.set(target.id, watched);
    const now = this.clock.now();
    for (const kind of activeProbes(target.probes, watched.states)) {
      const probe = target.probes[kind]!;
      const first = target.startedAt + probe.initialDelaySeconds * 1000;
      const periodMs = probe.periodSeconds * 1000;
      // Long past its first probe (Wharf restarted): spread the first runs over a whole period, as the kubelet does.
      const at = first >= now - periodMs ? Math.max(first, now) + this.jitter(probe) : now + this.random() * periodMs;
      this.queue.schedule(queueKey(target.id, kind), at);
    }
  }

  private drop(id: string): void {
    this.watched.delete(id);
    for (const kind of Object.keys(STATE_KEY) as ProbeKind[]) this.queue.cancel(queueKey(id, kind));
  }

  private due(key: string): void {
    const [id, kind] = key.split('\n') as [string, ProbeKind];
    const watched = this.watched.get(id);
    if (!watched || watched.halted || watched.inFlight.has(kind)) return;
    const { target } = watched;
    if (!activeProbes(target.probes, watched.states).includes(kind)) return;
    const probe = target.probes[kind]!;
    const started = this.clock.now();
    watched.inFlight.add(kind);
    void this.options
      .run({ ...(target.ip ? { ip: target.ip } : {}), containerId: target.id }, probe)
      .catch((error: unknown): ProbeOutcome => ({ ok: false, message: error instanceof Error ? error.message : String(error) }))
      .then((outcome) => {
        watched.inFlight.delete(kind);
        if (this.closed || this.watched.get(id) !== watched || watched.halted) return;
        this.record(watched, kind, probe, outcome, started);
      });
  }

  private record(watched: Watched, kind: ProbeKind, probe: Probe, outcome: ProbeOutcome, started: number): void {
    const { target } = watched;
    const stateKey = STATE_KEY[kind];
    const wasActive = activeProbes(target.probes, watched.states);
    const before = watched.states[stateKey];
    const after = nextProbeState(before ?? INITIAL_PROBE_STATE, probe, outcome.ok, outcome.message);
    watched.states = { ...watched.states, [stateKey]: after };
    const resultChanged = before?.last !== after.last || (after.last === false && before?.failure !== after.failure);
    const now = this.clock.now();
    const ready = isContainerReady(target.probes, watched.states);
    const readinessChanged = ready !== watched.ready;
    if (readinessChanged) {
      watched.ready = ready;
      watched.readyAt = ready ? now : undefined;
    }

    const restart = mustRestart(watched.states);
    if (restart) {
      watched.halted = true;
      for (const other of Object.keys(STATE_KEY) as ProbeKind[]) this.queue.cancel(queueKey(target.id, other));
      const failed = watched.states[STATE_KEY[restart]];
      this.options.onRestart(target, restart, failed?.failure ?? 'probe failed');
      return;
    }
    const active = activeProbes(target.probes, watched.states);
    if (active.includes(kind)) this.queue.schedule(queueKey(target.id, kind), Math.max(started + probe.periodSeconds * 1000, now) + this.jitter(probe));
    // The startup probe passed: liveness and readiness begin now.
    for (const next of active.filter((one) => !wasActive.includes(one))) this.queue.schedule(queueKey(target.id, next), now + this.jitter(target.probes[next]!));
    if (readinessChanged) this.options.onChange(target.key);
    else if (resultChanged) this.options.onResult?.(target.key);
  }

  private jitter(probe: Probe): number {
    return this.random() * Math.min(probe.periodSeconds * 1000 * JITTER_SHARE, MAX_JITTER_MS);
  }
}

function queueKey(id: string, kind: ProbeKind): string {
  return `${id}\n${kind}`;
}
