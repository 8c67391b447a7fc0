import type { ServiceStatus } from '../api/schemas/microservice.js';
import type { ObservedService } from './observed.js';
import type { DesiredService } from './service.js';

/** The seed's status object, from the desired state and what the engine reports (DESIGN.md §3). */
export function serviceStatus(desired: DesiredService, observed: ObservedService): ServiceStatus {
  const pods = observed.pods.filter((pod) => pod.serviceUid === desired.uid);
  const desire = desired.stopped ? 0 : desired.instanceNumber;
  const updated = pods.filter((pod) => pod.podTemplateHash === desired.podTemplateHash);
  const available = pods.filter((pod) => pod.ready).length;
  const counts = {
    desire,
    current: pods.length,
    updated: updated.length,
    available,
    unavailable: Math.max(desire - available, 0),
  };
  return { phase: phase(), ...counts };

  function phase(): ServiceStatus['phase'] {
    if (!observed.known) return 'unknown';
    if (desired.stopped) return pods.length === 0 ? 'stopped' : 'pending';
    const updatedAvailable = updated.filter((pod) => pod.ready).length;
    return pods.length === desire && updatedAvailable === desire ? 'running' : 'pending';
  }
}
