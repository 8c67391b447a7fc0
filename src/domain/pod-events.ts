import type { ContainerStatus } from '../model/service-status.js';
import type { ObservedPod } from './observed.js';
import type { ServiceEvent } from './service.js';

/**
 * What an engine did to a pod, read off two snapshots of it, the way a Kubernetes user reads the
 * kubelet's events: a container started, exited (with its code) or was OOM-killed, waits in
 * back-off, failed a probe, was killed for it, or its image could not be pulled. A fact repeated
 * (a crash loop) gives the same event again, which the store folds into one with a growing count.
 * Engines whose workloads create and remove pods themselves (`engineRollouts`) also have their
 * pods' creation and removal read here; otherwise the controller records those as it does them.
 */
export function podEvents(previous: ObservedPod | undefined, current: ObservedPod, options: { engineRollouts: boolean }): ServiceEvent[] {
  const pod = current.name;
  const at = { pod, revision: current.revision };
  const events: ServiceEvent[] = [];
  if (options.engineRollouts && previous === undefined) {
    events.push({ ...at, type: 'Normal', reason: 'PodCreated', message: `the engine created pod ${pod} of revision ${current.revision}` });
  }
  if (options.engineRollouts && current.status.phase === 'terminating' && previous?.status.phase !== 'terminating') {
    events.push({ ...at, type: 'Normal', reason: 'Killing', message: `the engine is stopping pod ${pod}` });
    return events;
  }
  const pullFailures = new Map<string, string[]>();
  for (const status of current.containerStatuses) {
    const before = previous?.containerStatuses.find((candidate) => candidate.name === status.name);
    const container = { ...at, container: status.name };
    for (const event of containerEvents(before, status)) {
      if (event.reason !== 'ErrImagePull') events.push({ ...container, ...event });
      else pullFailures.set(event.message, [...(pullFailures.get(event.message) ?? []), status.name]);
    }
  }
  // A pod that cannot start for one image shows every container waiting with the same failure (Docker): one event says it.
  for (const [message, containers] of pullFailures) {
    events.push({ ...at, ...(containers.length === 1 ? { container: containers[0] } : {}), type: 'Warning', reason: 'ErrImagePull', message });
  }
  return events;
}

function containerEvents(before: ContainerStatus | undefined, status: ContainerStatus): Omit<ServiceEvent, 'pod' | 'container' | 'revision'>[] {
  const name = status.name;
  const events: Omit<ServiceEvent, 'pod' | 'container' | 'revision'>[] = [];
  const newlyWaiting = (reason: string): boolean => status.state === 'waiting' && status.reason === reason && !(before?.state === 'waiting' && before.reason === reason);
  const exit = status.lastState;
  const exited = exit !== undefined && exit.finishedAt !== before?.lastState?.finishedAt;
  if (exited && /probe failed/.test(status.message) && status.reason !== 'Restarting') {
    events.push({ type: 'Normal', reason: 'Killing', message: `container ${name} is restarted: ${status.message}` });
  }
  if (exited && exit.reason === 'OOMKilled') {
    events.push({ type: 'Warning', reason: 'OOMKilled', message: `container ${name} was killed for running out of memory (exit code ${exit.exitCode})` });
  } else if (exited) {
    events.push({ type: exit.exitCode === 0 ? 'Normal' : 'Warning', reason: 'Exited', message: `container ${name} exited with code ${exit.exitCode}` });
  }
  if (newlyWaiting('Restarting')) events.push({ type: 'Normal', reason: 'Killing', message: `container ${name} is restarted: ${status.message}` });
  // Each exit into back-off, even when no run between two was seen (a short one, between two looks at the engine).
  if (newlyWaiting('CrashLoopBackOff') || (exited && status.state === 'waiting' && status.reason === 'CrashLoopBackOff')) events.push({ type: 'Warning', reason: 'BackOff', message: `back-off restarting failed container ${name}` });
  if (newlyWaiting('ErrImagePull')) events.push({ type: 'Warning', reason: 'ErrImagePull', message: status.message });
  // A start is a container newly running, or running again since a restart no look saw; a start time
  // made exact by a later inspection (Docker) is not one.
  if (status.state === 'running' && (before?.state !== 'running' || status.restartCount > before.restartCount)) {
    events.push({ type: 'Normal', reason: 'Started', message: `started container ${name}` });
  }
  const unhealthy = status.state === 'running' && status.reason === 'Unhealthy' && (before?.reason !== 'Unhealthy' || before.message !== status.message);
  // An engine that gives a running container no reason (Kubernetes): a ready container that turns not ready failed its readiness probe.
  const turnedNotReady = status.state === 'running' && status.reason === '' && !status.ready && before?.state === 'running' && before.ready && before.startedAt === status.startedAt;
  if (unhealthy) events.push({ type: 'Warning', reason: 'Unhealthy', message: `container ${name}: ${status.message}` });
  else if (turnedNotReady) events.push({ type: 'Warning', reason: 'Unhealthy', message: `container ${name} is no longer ready: its readiness probe fails` });
  return events;
}
