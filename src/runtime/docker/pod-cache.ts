import { keyString, parseKey, type ServiceKey } from '../../domain/keys.js';
import type { ObservedPod } from '../../domain/observed.js';
import { keyOfLabels, LABEL } from './labels.js';
import { podView, progressView, terminatingView, type ContainerFacts, type HealthOf, type PodProgress } from './pod-status.js';

interface CachedPod {
  containers: ContainerFacts[];
  /** Set while the driver creates the pod: the pod is shown from it, not from its containers. */
  progress?: PodProgress;
}

// How long a local change outranks engine listings that were started before it.
const TOUCH_MEMORY_MS = 5 * 60_000;

/** A pod as the cache holds it, for those that act on its containers (the prober). */
export interface CachedPodEntry {
  name: string;
  containers: ContainerFacts[];
  /** The driver is creating it or removing it: its containers are the driver's to handle. */
  busy: boolean;
}

/**
 * The observed pods of one region, by service then pod name. Engine listings and Wharf's own
 * changes both write here; a listing started before a local change (Wharf created or removed the
 * pod meanwhile) is stale for that pod and ignored, so a removed pod never comes back from an
 * old answer. Every write returns the services whose pods changed. A pod the driver is removing
 * shows `terminating` until it is gone, whatever listings say of its containers meanwhile.
 */
export class PodCache {
  private readonly services = new Map<string, Map<string, CachedPod>>();
  private readonly touched = new Map<string, { sequence: number; at: number }>();
  /** Pods the driver is removing, by podId: why. */
  private readonly removing = new Map<string, string>();
  private sequence = 0;

  constructor(private readonly health: HealthOf = () => undefined) {}

  /** Take before asking the engine for a listing; pass to `applyListing`. */
  mark(): number {
    return this.sequence;
  }

  views(key: ServiceKey): ObservedPod[] {
    const pods = this.services.get(keyString(key));
    if (!pods) return [];
    return [...pods].map(([name, pod]) => {
      const view = pod.progress ? progressView(pod.progress) : podView(name, pod.containers, this.health);
      const removing = this.removing.get(podId(key, name));
      return removing === undefined ? view : terminatingView(view, removing);
    });
  }

  /** The service's pods with their containers as last listed. */
  entries(key: ServiceKey): CachedPodEntry[] {
    const pods = this.services.get(keyString(key));
    if (!pods) return [];
    return [...pods].map(([name, pod]) => ({ name, containers: pod.containers, busy: pod.progress !== undefined || this.removing.has(podId(key, name)) }));
  }

  /** Every container the cache holds, by id. */
  containerIds(): Set<string> {
    return new Set([...this.services.values()].flatMap((pods) => [...pods.values()].flatMap((pod) => pod.containers.map((container) => container.id))));
  }

  keys(): ServiceKey[] {
    return [...this.services.keys()].map(parseKey);
  }

  isCreating(key: ServiceKey, pod: string): boolean {
    return this.services.get(keyString(key))?.get(pod)?.progress !== undefined;
  }

  /** The driver is creating a pod: shown pending with the creation's reason. */
  setProgress(progress: PodProgress): void {
    const { key, name } = progress.spec;
    const pod = this.pod(key, name) ?? { containers: [] };
    this.put(key, name, { ...pod, progress });
  }

  /** The driver finished creating a pod (or gave up): from now on its containers tell its state. */
  settle(key: ServiceKey, name: string, containers: ContainerFacts[]): void {
    if (containers.length === 0) this.remove(key, name);
    else this.put(key, name, { containers });
  }

  /**
   * The driver starts removing a pod (stop with grace, then remove): it shows terminating, `why`
   * its message (set again when an attempt failed), until `remove`. Listings meanwhile still
   * update its containers.
   */
  setRemoving(key: ServiceKey, name: string, why: string): void {
    this.removing.set(podId(key, name), why);
  }

  isRemoving(key: ServiceKey, name: string): boolean {
    return this.removing.has(podId(key, name));
  }

  /**
   * The driver stopped creating or removing the pod without finishing (this replica no longer
   * leads): its containers as listed tell its state again, for the next leader to act on.
   */
  release(key: ServiceKey, name: string): void {
    this.removing.delete(podId(key, name));
    const pod = this.pod(key, name);
    if (!pod?.progress) return;
    if (pod.containers.length === 0) this.drop(key, name);
    else this.store(key, name, { containers: pod.containers });
  }

  remove(key: ServiceKey, name: string): void {
    this.removing.delete(podId(key, name));
    this.touch(key, name);
    this.drop(key, name);
  }

  /**
   * What the engine listed, taken at `since`: for one pod, or (pod undefined) for the whole region.
   * Pods being created keep their progress; pods Wharf changed after `since` keep the newer state.
   */
  applyListing(since: number, facts: ContainerFacts[], pod?: { key: ServiceKey; name: string }): ServiceKey[] {
    const listed = new Map<string, { key: ServiceKey; name: string; containers: ContainerFacts[] }>();
    if (pod) listed.set(podId(pod.key, pod.name), { ...pod, containers: [] });
    for (const container of facts) {
      const key = keyOfLabels(container.labels);
      const name = container.labels[LABEL.pod];
      if (!key || !name) continue;
      const id = podId(key, name);
      const entry = listed.get(id) ?? { key, name, containers: [] };
      entry.containers.push(container);
      listed.set(id, entry);
    }
    if (!pod) {
      for (const key of this.keys()) {
        for (const name of this.services.get(keyString(key))!.keys()) {
          if (!listed.has(podId(key, name))) listed.set(podId(key, name), { key, name, containers: [] });
        }
      }
      this.forgetOldTouches();
    }

    const changed = new Map<string, ServiceKey>();
    for (const [id, entry] of listed) {
      const current = this.pod(entry.key, entry.name);
      if ((this.touched.get(id)?.sequence ?? -1) > since || current?.progress) continue;
      if (JSON.stringify(current?.containers ?? []) === JSON.stringify(entry.containers)) continue;
      if (entry.containers.length === 0) this.drop(entry.key, entry.name);
      else this.store(entry.key, entry.name, { containers: entry.containers });
      changed.set(keyString(entry.key), entry.key);
    }
    return [...changed.values()];
  }

  private pod(key: ServiceKey, name: string): CachedPod | undefined {
    return this.services.get(keyString(key))?.get(name);
  }

  /** A local change: recorded, so that listings started earlier do not undo it. */
  private put(key: ServiceKey, name: string, pod: CachedPod): void {
    this.touch(key, name);
    this.store(key, name, pod);
  }

  private store(key: ServiceKey, name: string, pod: CachedPod): void {
    const id = keyString(key);
    this.services.set(id, (this.services.get(id) ?? new Map<string, CachedPod>()).set(name, pod));
  }

  private drop(key: ServiceKey, name: string): void {
    const pods = this.services.get(keyString(key));
    pods?.delete(name);
    if (pods?.size === 0) this.services.delete(keyString(key));
  }

  private touch(key: ServiceKey, name: string): void {
    this.touched.set(podId(key, name), { sequence: ++this.sequence, at: Date.now() });
  }

  private forgetOldTouches(): void {
    const horizon = Date.now() - TOUCH_MEMORY_MS;
    for (const [id, touch] of this.touched) if (touch.at < horizon) this.touched.delete(id);
  }
}

/** A pod's identity in a region: its service's key and its name. */
export function podId(key: ServiceKey, name: string): string {
  return `${keyString(key)}/${name}`;
}
