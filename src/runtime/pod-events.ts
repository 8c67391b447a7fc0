import type { EventRecorder } from '../domain/events.js';
import { keyString, type ServiceKey } from '../domain/keys.js';
import type { ObservedPod } from '../domain/observed.js';
import { podEvents } from '../domain/pod-events.js';

/**
 * Records what an engine did to pods (domain/pod-events.ts) from the runtime's cache: each time a
 * service's pods change, they are compared with how they were last seen. A pod first seen that was
 * created before this runtime started (Wharf restarted) is only remembered: its past is not news.
 */
export class PodEventWatcher {
  /** By service, then pod: a copy of each pod as last seen (simulated pods change in place). */
  private readonly seen = new Map<string, Map<string, ObservedPod>>();
  /** Whole seconds: an engine's creation times may have no finer precision (Kubernetes'). */
  private readonly startedAt = Math.floor(Date.now() / 1000) * 1000;

  constructor(private readonly events: EventRecorder, private readonly options: { engineRollouts: boolean }) {}

  /** The service's pods as the cache has them now. */
  changed(key: ServiceKey, pods: readonly ObservedPod[]): void {
    const id = keyString(key);
    const before = this.seen.get(id);
    const now = new Map<string, ObservedPod>();
    for (const pod of pods) {
      const previous = before?.get(pod.name);
      now.set(pod.name, structuredClone(pod));
      if (!previous && Date.parse(pod.creationTime) < this.startedAt) continue;
      for (const event of podEvents(previous, pod, this.options)) this.events.record({ ...event, key });
    }
    if (now.size > 0) this.seen.set(id, now);
    else this.seen.delete(id);
  }
}
