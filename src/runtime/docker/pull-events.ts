import type { EventRecorder } from '../../domain/events.js';
import type { PodSpec } from '../../domain/plan.js';
import type { PullReport } from './images.js';

/** Pulling and Pulled events of one container of a pod being created (`sandbox`: the pod's sandbox, no spec container). */
export function pullEvents(events: EventRecorder, spec: PodSpec, role: string): PullReport {
  const at = { key: spec.key, pod: spec.name, revision: spec.revision, ...(role === 'sandbox' ? {} : { container: role }) };
  const what = role === 'sandbox' ? 'the pod\'s sandbox image' : 'image';
  return {
    pulling: (image) => events.record({ ...at, type: 'Normal', reason: 'Pulling', message: `pulling ${what} "${image}"` }),
    pulled: (image, elapsedMs) => events.record({ ...at, type: 'Normal', reason: 'Pulled', message: `pulled ${what} "${image}" in ${(elapsedMs / 1000).toFixed(1)} s` }),
  };
}
