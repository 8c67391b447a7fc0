import type { ObservedPod } from './observed.js';

/** How a service's rollouts judge pods and progress; not part of the template (a change opens no revision). */
export interface RolloutSettings {
  /** A pod is available once every container has run this long without a restart. */
  minReadySeconds: number;
  /** A rollout that makes no progress (no new pod available) this long has failed. */
  progressDeadlineSeconds: number;
  /** On a failed rollout, roll back to the last revision whose rollout completed. */
  autoRollback: boolean;
}

export const DEFAULT_ROLLOUT_SETTINGS: RolloutSettings = { minReadySeconds: 10, progressDeadlineSeconds: 600, autoRollback: false };
export const MAX_MIN_READY_SECONDS = 3600;
export const MIN_PROGRESS_DEADLINE_SECONDS = 10;
export const MAX_PROGRESS_DEADLINE_SECONDS = 86_400;

export type RolloutState = 'progressing' | 'complete' | 'failed' | 'rolledBack';

/**
 * Where the current revision's rollout stands, as the store keeps it. The controller writes it
 * (assessRollout); a change that opens a revision starts a new one (startRollout).
 */
export interface RolloutRecord {
  revision: number;
  state: RolloutState;
  reason: string;
  message: string;
  /** When the state, reason or message last changed. */
  updateTime: string;
  /** When the rollout started or last made progress: the progress deadline counts from here. */
  progressTime: string;
  /** Pods of the revision available at progressTime: more is progress. */
  availableAtProgress: number;
  /** The last revision whose rollout completed (this one included once it has); undefined: none yet. */
  lastCompleteRevision?: number;
  /**
   * The pod template hash this rollout brings, ConfigMap contents included (configmaps.ts): a
   * changed ConfigMap rolls the pods again under the same revision, as a new rollout. Undefined
   * until the controller first looks (a change records the revision before the hash is known).
   */
  podTemplateHash?: string;
}

/** The rollout a change that opens `revision` starts; it remembers the last revision that completed. */
export function startRollout(previous: RolloutRecord | undefined, revision: number, now: string, reason = 'NewRevision', message?: string): RolloutRecord {
  return {
    revision,
    state: reason === 'RolledBack' ? 'rolledBack' : 'progressing',
    reason,
    message: message ?? `rolling out revision ${revision}`,
    updateTime: now,
    progressTime: now,
    availableAtProgress: 0,
    ...(previous?.lastCompleteRevision === undefined ? {} : { lastCompleteRevision: previous.lastCompleteRevision }),
  };
}

/**
 * The rollout of what the service runs now: the stored one while it is of this revision and pod
 * template; a new one when a ConfigMap the pods read changed since, which rolls them again.
 */
export function currentRollout(
  desired: { revision: number; podTemplateHash: string; rolloutRecord?: RolloutRecord },
  now: string,
): RolloutRecord {
  const stored = desired.rolloutRecord;
  if (stored?.revision !== desired.revision) return { ...startRollout(stored, desired.revision, now), podTemplateHash: desired.podTemplateHash };
  if (stored.podTemplateHash === undefined) return { ...stored, podTemplateHash: desired.podTemplateHash };
  if (stored.podTemplateHash === desired.podTemplateHash) return stored;
  const again = startRollout(stored, desired.revision, now, 'ConfigMapChanged', `rolling out revision ${desired.revision} again: a ConfigMap its containers read changed`);
  return { ...again, podTemplateHash: desired.podTemplateHash };
}

/** Milliseconds until the pod counts as available: 0 when it is, undefined while it is not running. */
export function availableInMs(pod: ObservedPod, minReadySeconds: number, now: number): number | undefined {
  if (pod.readySince === undefined) return undefined;
  return Math.max(Date.parse(pod.readySince) + minReadySeconds * 1000 - now, 0);
}

/**
 * Milliseconds until the next of `pods` becomes available by time alone (no event says so), or
 * undefined when none will: each is available already or not running.
 */
export function nextAvailableInMs(pods: readonly ObservedPod[], minReadySeconds: number, now: number): number | undefined {
  const waits = pods.map((pod) => availableInMs(pod, minReadySeconds, now) ?? 0).filter((wait) => wait > 0);
  return waits.length === 0 ? undefined : Math.min(...waits);
}

/** Available: every container running, without a restart, for minReadySeconds. */
export function isAvailable(pod: ObservedPod, minReadySeconds: number, now: number): boolean {
  return availableInMs(pod, minReadySeconds, now) === 0;
}

export interface RolloutAssessment {
  /** The record to store; undefined: the stored one holds. */
  record?: RolloutRecord;
  /** Set when the rollout failed and autoRollback asks to roll back to this revision. */
  rollbackTo?: number;
  /** Milliseconds until the assessment may change by time alone (the deadline); undefined: never. */
  recheckInMs?: number;
}

interface RolloutInput {
  revision: number;
  podTemplateHash: string;
  instanceNumber: number;
  rollout: RolloutSettings;
  rolloutRecord?: RolloutRecord;
}

/**
 * Pure: where the current revision's rollout stands now, given the service's pods (of this
 * service, not stopped). Complete once instanceNumber pods of the current template are available
 * and no other pod is left; failed when no new pod became available for progressDeadlineSeconds,
 * or when the engine that rolls the pods out says so first (`engineDeadlineExceeded`, its
 * message: a Deployment counts the same deadline from its own view of progress).
 */
export function assessRollout(desired: RolloutInput, pods: ObservedPod[], now: number, engineDeadlineExceeded?: string): RolloutAssessment {
  const nowText = new Date(now).toISOString();
  const stored = currentRollout(desired, nowText);
  const changed = stored !== desired.rolloutRecord;
  const { minReadySeconds, progressDeadlineSeconds, autoRollback } = desired.rollout;
  const updated = pods.filter((pod) => pod.podTemplateHash === desired.podTemplateHash);
  const available = updated.filter((pod) => isAvailable(pod, minReadySeconds, now)).length;
  const settled = available >= desired.instanceNumber && pods.length === updated.length;

  if (stored.state === 'complete') return changed ? { record: stored } : {};
  // A failed rollout stays failed where it stands, unless its pods come up after all.
  if (settled) {
    const message = stored.state === 'rolledBack' ? stored.message : `revision ${desired.revision}: ${available} pod(s) available`;
    return {
      record: {
        ...stored,
        state: 'complete',
        reason: stored.state === 'rolledBack' ? 'RolledBack' : 'RolloutComplete',
        message,
        updateTime: nowText,
        lastCompleteRevision: desired.revision,
      },
    };
  }
  if (stored.state === 'failed') return changed ? { record: stored } : {};
  if (available > stored.availableAtProgress) {
    return { record: { ...stored, progressTime: nowText, availableAtProgress: available }, recheckInMs: progressDeadlineSeconds * 1000 };
  }
  const deadline = Date.parse(stored.progressTime) + progressDeadlineSeconds * 1000;
  if (now < deadline && engineDeadlineExceeded === undefined) return { ...(changed ? { record: stored } : {}), recheckInMs: deadline - now };

  const engine = engineDeadlineExceeded === undefined ? '' : ` (the engine: ${engineDeadlineExceeded})`;
  const why = `revision ${desired.revision} made no progress for ${progressDeadlineSeconds} s${engine}${stuckPod(updated, minReadySeconds, now)}`;
  const target = stored.lastCompleteRevision;
  if (autoRollback && target !== undefined && target !== desired.revision) {
    return { record: { ...stored, state: 'failed', reason: 'ProgressDeadlineExceeded', message: `${why}; rolling back to revision ${target}`, updateTime: nowText }, rollbackTo: target };
  }
  const rest = !autoRollback
    ? '; the old pods keep serving'
    : target === desired.revision
      ? '; this revision completed before with other ConfigMap contents, and Wharf keeps no earlier contents to roll back to: the old pods keep serving'
      : '; no earlier revision completed its rollout, so there is nothing to roll back to';
  return { record: { ...stored, state: 'failed', reason: 'ProgressDeadlineExceeded', message: why + rest, updateTime: nowText } };
}

/** ": pod x is not available (container c: CrashLoopBackOff, 4 restarts)", naming the first new pod not available. */
function stuckPod(updated: ObservedPod[], minReadySeconds: number, now: number): string {
  const pod = updated.find((one) => !isAvailable(one, minReadySeconds, now));
  if (!pod) return '';
  const container = pod.containerStatuses.find((status) => status.state !== 'running' || status.restartCount > 0 || !status.ready) ?? pod.containerStatuses[0];
  // Kubernetes gives a running container that fails its readiness probe no reason of its own.
  const what = container && (container.reason || (container.state === 'running' && !container.ready ? 'running, not ready' : container.state));
  const detail = container
    ? `container ${container.name}: ${what}${container.restartCount > 0 ? `, ${container.restartCount} restart(s)` : ''}`
    : pod.status.reason || pod.status.phase;
  return `: pod ${pod.name} is not available (${detail})`;
}
