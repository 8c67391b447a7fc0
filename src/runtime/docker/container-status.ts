import type { ContainerStatus } from '../../model/service-status.js';
import type { ProbeKind } from '../../model/probe.js';
import { isContainerReady, type ContainerProbes, type ProbeState } from '../../domain/probes.js';
import type { LastState } from './container-records.js';
import type { ContainerFacts } from './pod-status.js';

/** What Wharf knows of a container beyond Docker's list: from inspections, events and its own probes. */
export interface ContainerHealth {
  restartCount: number;
  /** Epoch ms, exact (the inspection's StartedAt); absent before the first inspection and while not running. */
  startedAt?: number;
  lastState?: LastState;
  /** Where its probes stand since it last started. */
  probes: ContainerProbes;
  /** When its startup and readiness probes last came to pass (absent while they do not). */
  readyAt?: number;
  /** Wharf stops and starts it because this probe failed; its status says so meanwhile. */
  restarting?: { probe: 'livenessProbe' | 'startupProbe'; failure: string };
}

export const PROBE_WORD: Record<ProbeKind, string> = { startupProbe: 'startup', livenessProbe: 'liveness', readinessProbe: 'readiness' };
export const STATE_KEY = { startupProbe: 'startup', livenessProbe: 'liveness', readinessProbe: 'readiness' } as const satisfies Record<ProbeKind, keyof ContainerProbes>;

/** One container's status, and since when it has been ready (epoch ms) if it is. */
export function containerView(name: string, facts: ContainerFacts | undefined, health: ContainerHealth | undefined): { status: ContainerStatus; readySince?: number } {
  const counts = {
    restartCount: health?.restartCount ?? 0,
    ...(health?.lastState ? { lastState: health.lastState } : {}),
  };
  if (facts && health?.restarting) {
    const { probe, failure } = health.restarting;
    const message = `${PROBE_WORD[probe]} probe failed: ${failure}; Wharf restarts the container`;
    return { status: { name, state: 'waiting', reason: 'Restarting', message, ready: false, ...counts } };
  }
  const base = baseStatus(name, facts);
  if (base.state !== 'running' || !facts) return { status: { ...base, ready: false, ...counts } };
  if (health?.lastState && (health.startedAt === undefined || Date.parse(health.lastState.finishedAt) >= health.startedAt)) {
    // The engine said it died after the last start an inspection saw. Docker's list, even read after
    // the die event, can say `running` until the next event: until an inspection sees it run again, it waits.
    const message = `exited with code ${health.lastState.exitCode}; the engine restarts it`;
    return { status: { name, state: 'waiting', reason: 'CrashLoopBackOff', message, ready: false, ...counts } };
  }

  const startedAt = health?.startedAt ?? facts.startedAt ?? facts.created * 1000;
  const probes = health?.probes ?? {};
  const ready = isContainerReady(facts.probes, probes);
  const gated = facts.probes.startupProbe !== undefined || facts.probes.readinessProbe !== undefined;
  const failing = failingProbe(facts, probes);
  const status: ContainerStatus = {
    ...base,
    ...(failing
      ? { reason: 'Unhealthy', message: `${PROBE_WORD[failing.kind]} probe failed: ${failing.state.failure ?? 'probe failed'}` }
      : !ready
        ? { message: `its ${facts.probes.startupProbe && probes.startup?.healthy !== true ? 'startup' : 'readiness'} probe has not passed yet` }
        : {}),
    ready,
    ...counts,
    startedAt: new Date(startedAt).toISOString(),
  };
  if (!ready) return { status };
  return { status, readySince: gated ? Math.max(health?.readyAt ?? startedAt, startedAt) : startedAt };
}

/** The probe whose last run failed, startup first (while it runs the others wait), then liveness, then readiness. */
function failingProbe(facts: ContainerFacts, probes: ContainerProbes): { kind: ProbeKind; state: ProbeState } | undefined {
  for (const kind of ['startupProbe', 'livenessProbe', 'readinessProbe'] as const) {
    const state = probes[STATE_KEY[kind]];
    if (facts.probes[kind] && state?.last === false) return { kind, state };
  }
  return undefined;
}

function baseStatus(name: string, facts: ContainerFacts | undefined): Omit<ContainerStatus, 'ready' | 'restartCount'> {
  if (!facts) return { name, state: 'unknown', reason: 'ContainerMissing', message: 'the container was removed outside Wharf' };
  const message = facts.status;
  switch (facts.state) {
    case 'running':
      return { name, state: 'running', reason: '', message: '' };
    case 'restarting':
      return { name, state: 'waiting', reason: 'CrashLoopBackOff', message };
    case 'created':
      return { name, state: 'waiting', reason: 'ContainerCreating', message };
    case 'paused':
      return { name, state: 'waiting', reason: 'Paused', message };
    case 'exited':
    case 'dead':
      return { name, state: 'terminated', reason: exitCode(message) === 0 ? 'Completed' : 'Error', message };
    default:
      return { name, state: 'terminated', reason: 'Removing', message };
  }
}

/** The exit code in Docker's status sentence ("Exited (137) 2 seconds ago"), if any. */
export function exitCode(status: string): number | undefined {
  const match = /^Exited \((-?\d+)\)/.exec(status);
  return match ? Number(match[1]) : undefined;
}
