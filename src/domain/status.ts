import type { RolloutStatus, ServiceStatus } from '../model/service-status.js';
import type { ObservedService } from './observed.js';
import { currentRollout, isAvailable } from './rollout.js';
import type { DesiredService } from './service.js';

/**
 * The seed's status object, from the desired state and what the engine reports (DESIGN.md §3).
 * A pod counts as available, as the planner counts it, once every container has run
 * minReadySeconds without a restart at `now`: the phase is never `running` before.
 */
export function serviceStatus(desired: DesiredService, observed: ObservedService, now = Date.now()): ServiceStatus {
  const pods = observed.pods.filter((pod) => pod.serviceUid === desired.uid);
  const desire = desired.stopped ? 0 : desired.instanceNumber;
  const available = (pod: (typeof pods)[number]): boolean => isAvailable(pod, desired.rollout.minReadySeconds, now);
  const updated = pods.filter((pod) => pod.podTemplateHash === desired.podTemplateHash);
  const availableCount = pods.filter(available).length;
  const counts = {
    desire,
    current: pods.length,
    updated: updated.length,
    available: availableCount,
    unavailable: Math.max(desire - availableCount, 0),
  };
  return { phase: phase(), ...counts, rollout: rolloutStatus(desired) };

  function phase(): ServiceStatus['phase'] {
    if (!observed.known) return 'unknown';
    if (desired.stopped) return pods.length === 0 ? 'stopped' : 'pending';
    const updatedAvailable = updated.filter(available).length;
    return pods.length === desire && updatedAvailable === desire ? 'running' : 'pending';
  }
}

/** The current revision's rollout as the controller last recorded it (progressing until it has looked). */
export function rolloutStatus(desired: Pick<DesiredService, 'revision' | 'podTemplateHash' | 'rolloutRecord' | 'updateTime'>): RolloutStatus {
  const record = currentRollout(desired, desired.updateTime);
  return { revision: record.revision, state: record.state, reason: record.reason, message: record.message, updateTime: record.updateTime };
}
