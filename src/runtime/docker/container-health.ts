import type Docker from 'dockerode';
import type { Logger } from 'pino';
import type { ServiceKey } from '../../domain/keys.js';
import { engineMessage, isConnectionError, statusOf } from './client.js';
import { ContainerRecords, type InspectedContainer } from './container-records.js';
import type { ContainerHealth } from './container-status.js';
import { LABEL } from './labels.js';
import type { CachedPodEntry } from './pod-cache.js';
import type { ContainerFacts } from './pod-status.js';
import { engineProbeRunner } from './probe-runners.js';
import { Prober, type ProberOptions, type ProbeTarget } from './prober.js';

/** A container event from the engine, as `EngineWatch` passes it on. */
export interface ContainerEvent {
  id: string;
  action: string;
  key: ServiceKey;
  /** Epoch ms the engine says it happened. */
  at: number;
  /** `die` only. */
  exitCode?: number;
}

export interface HealthOptions {
  docker: Docker;
  log: Logger;
  /** SIGTERM, then this long before Docker kills the process: a liveness restart stops the container as a removal does. */
  stopGraceSeconds: number;
  /** Something a pod's view shows changed for the service (counts, readiness, a restart). */
  notify: (key: ServiceKey) => void;
  /**
   * Whether this replica leads the region. Every replica probes (readiness is each one's view of
   * the pods); only the leader restarts a container whose liveness or startup probe failed.
   */
  leads(): boolean;
  /** Tests replace how probes run and how time passes. */
  prober?: Pick<ProberOptions, 'run' | 'clock' | 'random'>;
}

// Inspections at once: a Wharf starting on a busy engine inspects every container once.
const MAX_INSPECTIONS = 8;

/**
 * What Docker's list does not say of a region's containers: restart counts, exact start times and
 * how each last ended (from inspections on first sight and after start, die, restart and oom
 * events), and Wharf's own probes, with the restarts a failed liveness or startup probe asks for.
 */
export class ContainerHealthMonitor {
  private readonly records = new ContainerRecords();
  private readonly prober: Prober;
  /**
   * Containers Wharf is restarting, by id: which probe failed and why. Kept after the start until a
   * listing shows the container running: until then the cache may still hold it `exited`, which
   * would make the pod look failed and the controller replace it.
   */
  private readonly restarting = new Map<string, { probe: 'livenessProbe' | 'startupProbe'; failure: string; startedBefore: number; started?: boolean }>();
  private readonly inspecting = new Set<string>();
  /**
   * Per container, how many start, die, restart and oom events came: an inspection answer that an
   * event overtook describes a run that is over (it would bring back the StartedAt of a container
   * that died since), so it is dropped and the container inspected again.
   */
  private readonly epochs = new Map<string, number>();
  /** Containers an event touched while their inspection was under way: that answer may predate it. */
  private readonly inspectAgain = new Set<string>();
  /** Inspections waiting for a free slot, in order. */
  private readonly waiting = new Map<string, ServiceKey>();
  /** Containers whose record predates the last (re)connect: a dockerd restart started them again unseen. */
  private readonly stale = new Set<string>();
  private closed = false;

  constructor(private readonly options: HealthOptions) {
    this.prober = new Prober({
      run: engineProbeRunner(options.docker),
      ...options.prober,
      onChange: (key) => options.notify(key),
      // The pod's events record a probe's failure (Unhealthy) when it happens, not when readiness changes.
      onResult: (key) => options.notify(key),
      onRestart: (target, probe, failure) => {
        if (options.leads()) void this.restart(target, probe, failure);
      },
    });
  }

  /** For the pod cache's views. */
  healthOf(facts: ContainerFacts): ContainerHealth | undefined {
    const record = this.records.get(facts.id);
    const probed = this.prober.health(facts.id);
    const restarting = this.restarting.get(facts.id);
    if (!record && !probed && !restarting) return undefined;
    const why = restarting && { probe: restarting.probe, failure: restarting.failure };
    return {
      restartCount: this.records.restartCount(facts.id),
      ...(record?.startedAt !== undefined ? { startedAt: record.startedAt } : {}),
      ...(record?.lastState ? { lastState: record.lastState } : {}),
      probes: probed?.probes ?? {},
      ...(probed?.readyAt !== undefined ? { readyAt: probed.readyAt } : {}),
      ...(why ? { restarting: why } : {}),
    };
  }

  /**
   * The service's pods as the cache now holds them: containers seen for the first time are
   * inspected, and the prober follows the running containers with probes.
   */
  observe(key: ServiceKey, pods: CachedPodEntry[]): void {
    if (this.closed) return;
    for (const pod of pods) {
      for (const container of pod.containers) {
        // A sandbox shows no count, start or probe: it needs no inspection.
        if (container.labels[LABEL.role] === 'sandbox') continue;
        const record = this.records.get(container.id);
        // Not seen before, not since a reconnect, or listed running while the last inspection or event said it is not.
        if (!record || this.stale.has(container.id) || (container.state === 'running' && record.startedAt === undefined)) this.inspect(container.id, key);
        const restart = this.restarting.get(container.id);
        if (restart?.started && container.state === 'running' && record?.startedAt !== undefined && record.startedAt !== restart.startedBefore) this.restarting.delete(container.id);
      }
    }
    this.prober.sync(key, pods.flatMap((pod) => probeTargets(key, pod, (id) => this.records.get(id)?.startedAt, this.restarting)));
  }

  event(event: ContainerEvent): void {
    if (this.closed) return;
    if (event.action !== 'destroy') this.epochs.set(event.id, (this.epochs.get(event.id) ?? 0) + 1);
    switch (event.action) {
      case 'oom':
        this.records.oomKilled(event.id);
        return;
      case 'die':
        if (event.exitCode !== undefined && this.records.died(event.id, event.exitCode, event.at)) this.options.notify(event.key);
        return this.inspect(event.id, event.key);
      case 'start':
      case 'restart':
        return this.inspect(event.id, event.key);
      case 'destroy':
        this.records.forget(event.id);
        this.restarting.delete(event.id);
        this.epochs.delete(event.id);
        return;
    }
  }

  /**
   * The engine was (re)connected: events may have been missed meanwhile (a dockerd restart starts
   * every container again), so each container is inspected again when next listed.
   */
  reconnected(): void {
    for (const id of this.records.ids()) this.stale.add(id);
  }

  /** After a listing of every container: records of containers that are gone go too. */
  retain(ids: ReadonlySet<string>): void {
    this.records.retain(ids);
    for (const id of this.restarting.keys()) if (!ids.has(id)) this.restarting.delete(id);
    for (const id of this.epochs.keys()) if (!ids.has(id)) this.epochs.delete(id);
    for (const id of this.stale) if (!ids.has(id)) this.stale.delete(id);
  }

  close(): void {
    this.closed = true;
    this.prober.close();
  }

  private inspect(id: string, key: ServiceKey): void {
    if (this.inspecting.has(id)) {
      this.inspectAgain.add(id);
      return;
    }
    if (this.inspecting.size >= MAX_INSPECTIONS) {
      this.waiting.set(id, key);
      return;
    }
    this.inspecting.add(id);
    const epoch = this.epochs.get(id);
    void this.options.docker
      .getContainer(id)
      .inspect()
      .then((info) => {
        if (this.closed) return;
        if (this.epochs.get(id) !== epoch) {
          this.inspectAgain.add(id);
          return;
        }
        this.stale.delete(id);
        if (this.records.inspected(id, info as unknown as InspectedContainer)) this.options.notify(key);
      })
      .catch((error: unknown) => {
        if (statusOf(error) === 404) this.records.forget(id);
        else if (!isConnectionError(error)) this.options.log.warn({ err: engineMessage(error), container: id }, 'inspecting a container failed');
      })
      .finally(() => {
        this.inspecting.delete(id);
        if (this.closed) return;
        if (this.inspectAgain.delete(id)) this.inspect(id, key);
        const [next] = this.waiting;
        if (next) {
          this.waiting.delete(next[0]);
          this.inspect(next[0], next[1]);
        }
      });
  }

  /**
   * Restarts a container whose liveness or startup probe failed, as the kubelet does: stop with
   * the grace period, start. Docker counts no restart of this kind (and a start by hand resets its
   * count), so Wharf counts it (ContainerRecords).
   */
  private async restart(target: ProbeTarget, probe: 'livenessProbe' | 'startupProbe', failure: string): Promise<void> {
    const { docker, log, stopGraceSeconds, notify } = this.options;
    log.warn({ pod: target.pod, container: target.container, probe, failure }, `restarting container ${target.container} of pod ${target.pod}: its ${probe} failed: ${failure}`);
    this.records.restartedByWharf(target.id);
    this.restarting.set(target.id, { probe, failure, startedBefore: target.startedAt });
    notify(target.key);
    const container = docker.getContainer(target.id);
    // 304: already stopped or already started; 404: removed meanwhile (the pod is going).
    const tolerate = (error: unknown): void => {
      if (statusOf(error) !== 304 && statusOf(error) !== 404) throw error;
    };
    try {
      await container.stop({ t: stopGraceSeconds }).catch(tolerate);
      await container.start().catch(tolerate);
      const mark = this.restarting.get(target.id);
      if (mark) mark.started = true;
    } catch (error) {
      log.warn({ err: engineMessage(error), pod: target.pod, container: target.container }, 'restarting the container failed; probing it again');
      this.restarting.delete(target.id);
      this.prober.resume(target.id);
    }
    notify(target.key);
  }
}

/**
 * The containers of a pod the prober follows: running, with probes, inspected (so their exact
 * start is known), the pod neither being created nor removed, the container not being restarted.
 */
export function probeTargets(
  key: ServiceKey,
  pod: CachedPodEntry,
  startedAt: (id: string) => number | undefined,
  restarting: ReadonlyMap<string, unknown> = new Map(),
): ProbeTarget[] {
  if (pod.busy) return [];
  const ip = pod.containers.find((container) => container.labels[LABEL.role] === 'sandbox')?.ip;
  return pod.containers.flatMap((container) => {
    const started = startedAt(container.id);
    if (container.state !== 'running' || started === undefined || restarting.has(container.id) || Object.keys(container.probes).length === 0) return [];
    const name = container.labels[LABEL.container] ?? '';
    return [{ id: container.id, key, pod: pod.name, container: name, probes: container.probes, startedAt: started, ...(ip ? { ip } : {}) }];
  });
}
