import { isIPv6 } from 'node:net';
import type Docker from 'dockerode';
import type { ContainerStatus } from '../../model/service-status.js';
import type { HostPort, ObservedPod } from '../../domain/observed.js';
import type { PodSpec } from '../../domain/plan.js';
import { containerView, exitCode, type ContainerHealth } from './container-status.js';
import { LABEL, probesOfLabels, type ContainerProbeSpecs, type Labels } from './labels.js';

/** What Wharf keeps of one container: the fields of Docker's container list it needs. */
export interface ContainerFacts {
  id: string;
  labels: Labels;
  /** Docker's state: created, running, restarting, paused, exited, dead or removing. */
  state: string;
  /** Docker's sentence for it, such as "Exited (1) 3 seconds ago". */
  status: string;
  /** Unix seconds. */
  created: number;
  /**
   * Unix milliseconds the running container started, estimated when it was listed from Docker's
   * "Up 5 seconds" (to the second under a minute, coarser after); absent when it is not running.
   */
  startedAt?: number;
  hostPorts: HostPort[];
  /** A sandbox's IP on its project network, where Wharf's HTTP and TCP probes go. */
  ip?: string;
  /** The probes its labels carry ({} for none, and for a sandbox). */
  probes: ContainerProbeSpecs;
}

/** What Wharf knows of a container beyond the list, by its facts; undefined: nothing yet. */
export type HealthOf = (facts: ContainerFacts) => ContainerHealth | undefined;

const UNIT_SECONDS: Record<string, number> = { second: 1, minute: 60, hour: 3600, day: 86_400, week: 604_800, month: 2_592_000, year: 31_536_000 };

/**
 * When a container came up, from the humanised duration of Docker's list ("Up Less than a second",
 * "Up 12 seconds", "Up About a minute", "Up 3 hours (healthy)"), seen at `now`.
 */
export function upSince(status: string, now: number): number | undefined {
  const match = /^Up (Less than a second|About an? (minute|hour)|(\d+) (second|minute|hour|day|week|month|year)s?)/.exec(status);
  if (!match) return undefined;
  const seconds = match[1] === 'Less than a second' ? 0 : match[2] ? UNIT_SECONDS[match[2]]! : Number(match[3]) * UNIT_SECONDS[match[4]!]!;
  return now - seconds * 1000;
}

export function factsOf(info: Docker.ContainerInfo, now = Date.now()): ContainerFacts {
  const hostPorts = new Map<string, HostPort>();
  for (const port of info.Ports ?? []) {
    if (!port.PublicPort) continue;
    const protocol = port.Type === 'udp' ? 'UDP' : 'TCP';
    const id = `${port.PrivatePort}/${protocol}`;
    // A port published on one address has one binding. Published on 0.0.0.0, Docker adds a binding
    // on :: that may get another host port: the one on the published address, 0.0.0.0, is reported.
    if (hostPorts.has(id) && isIPv6(port.IP)) continue;
    hostPorts.set(id, { port: port.PrivatePort, protocol, hostPort: port.PublicPort });
  }
  return {
    id: info.Id,
    labels: info.Labels ?? {},
    state: info.State,
    status: info.Status,
    created: info.Created,
    ...(info.State === 'running' ? { startedAt: upSince(info.Status, now) ?? info.Created * 1000 } : {}),
    hostPorts: [...hostPorts.values()].sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol)),
    ...ipOf(info),
    probes: probesOfLabels(info.Labels ?? {}),
  };
}

/** The sandbox joins only its project network; a spec container shares its namespace and lists none. */
function ipOf(info: Docker.ContainerInfo): { ip?: string } {
  const networks = Object.values(info.NetworkSettings?.Networks ?? {});
  const ip = networks.map((network) => network.IPAddress).find((address) => address);
  return ip ? { ip } : {};
}

/** A pod the driver is still creating: its spec and where the creation stands. */
export interface PodProgress {
  spec: PodSpec;
  creationTime: string;
  /** ContainerCreating, ErrImagePull, ImagePullBackOff, CreateContainerError, RunContainerError. */
  reason: string;
  message: string;
}

/** A pod being created: pending, every container waiting for the same reason. */
export function progressView(progress: PodProgress): ObservedPod {
  const { spec, reason, message } = progress;
  return {
    name: spec.name,
    serviceUid: spec.serviceUid,
    revision: spec.revision,
    podTemplateHash: spec.podTemplateHash,
    status: { phase: 'pending', reason, message },
    containerStatuses: spec.containers.map((container) => ({ name: container.name, state: 'waiting', reason, message, ready: false, restartCount: 0 })),
    ready: false,
    creationTime: progress.creationTime,
  };
}

/**
 * A pod from its containers, in Kubernetes' vocabulary. With restart policy `always`, Docker
 * restarts a crashed process itself (state `restarting` meanwhile); a container left `exited`,
 * `created` or missing will not run again on its own, so the pod has failed and the plan replaces it.
 * `health` adds what the list lacks: restart counts, exact start times, how a container last
 * ended, and its probes' verdicts, which decide whether it is ready.
 */
export function podView(name: string, containers: ContainerFacts[], health: HealthOf = () => undefined): ObservedPod {
  const sandbox = containers.find((container) => container.labels[LABEL.role] === 'sandbox');
  const labels = (sandbox ?? containers[0]!).labels;
  const byName = new Map(containers.filter((c) => c !== sandbox).map((c) => [c.labels[LABEL.container] ?? '', c]));
  const names = sandbox ? (labels[LABEL.containers] ?? '').split(',').filter(Boolean) : [...byName.keys()];
  const views = names.map((container) => {
    const facts = byName.get(container);
    return containerView(container, facts, facts && health(facts));
  });
  const containerStatuses = views.map((view) => view.status);

  const status = podStatus(sandbox, containerStatuses, [...byName.values()]);
  const ready = status.phase === 'running' && views.length > 0 && views.every((view) => view.readySince !== undefined);
  return {
    name,
    serviceUid: labels[LABEL.serviceUid] ?? '',
    revision: Number(labels[LABEL.revision] ?? 0),
    podTemplateHash: labels[LABEL.templateHash] ?? '',
    containerStatuses,
    creationTime: new Date((sandbox ?? containers[0]!).created * 1000).toISOString(),
    status: status.phase === 'running' && !ready ? notReady(containerStatuses) : status,
    ready,
    // Since the last of its containers became ready: a restart or a failed readiness probe moves it.
    ...(ready ? { readySince: new Date(Math.max(...views.map((view) => view.readySince!))).toISOString() } : {}),
    ...(sandbox && sandbox.hostPorts.length > 0 ? { hostPorts: sandbox.hostPorts } : {}),
  };
}

/** A running pod one of whose containers is not ready, named with why (its failing probe, if one failed). */
function notReady(statuses: ContainerStatus[]): ObservedPod['status'] {
  const container = statuses.find((status) => !status.ready)!;
  return { phase: 'running', reason: 'ContainersNotReady', message: `container ${container.name} is not ready: ${container.message}` };
}

/**
 * A pod Wharf is removing on purpose: terminating, its containers as they are (stopping, stopped),
 * never counted ready, whatever its containers look like meanwhile.
 */
export function terminatingView(pod: ObservedPod, message: string): ObservedPod {
  const { readySince: _readySince, ...rest } = pod;
  // Removed by the removal under way, not "outside Wharf".
  const containerStatuses = pod.containerStatuses.map((status) =>
    status.reason === 'ContainerMissing' ? { ...status, state: 'terminated' as const, reason: 'Removed', message: 'removed with its pod' } : status,
  );
  return { ...rest, containerStatuses, ready: false, status: { phase: 'terminating', reason: 'Terminating', message } };
}

function podStatus(
  sandbox: ContainerFacts | undefined,
  statuses: ContainerStatus[],
  containers: ContainerFacts[],
): ObservedPod['status'] {
  if (!sandbox) return { phase: 'failed', reason: 'SandboxMissing', message: 'the sandbox container was removed outside Wharf' };
  if (sandbox.state !== 'running' && sandbox.state !== 'restarting') {
    return { phase: 'failed', reason: 'SandboxNotRunning', message: `sandbox: ${sandbox.status}` };
  }
  const stuck = statuses.find((status) => status.state === 'unknown' || status.reason === 'ContainerCreating');
  if (stuck) {
    // Creation is the driver's job and no creation is under way: this pod will not complete.
    const reason = stuck.state === 'unknown' ? stuck.reason : 'ContainerNotStarted';
    return { phase: 'failed', reason, message: `container ${stuck.name}: ${stuck.message}` };
  }
  const terminated = statuses.filter((status) => status.state === 'terminated');
  if (terminated.length > 0) {
    const succeeded = terminated.length === statuses.length && containers.every((c) => exitCode(c.status) === 0);
    const first = terminated[0]!;
    return { phase: succeeded ? 'succeeded' : 'failed', reason: first.reason, message: `container ${first.name}: ${first.message}` };
  }
  if (sandbox.state === 'restarting') return { phase: 'pending', reason: 'SandboxRestarting', message: `sandbox: ${sandbox.status}` };
  const waiting = statuses.find((status) => status.state === 'waiting');
  if (waiting) return { phase: 'pending', reason: waiting.reason, message: `container ${waiting.name}: ${waiting.message}` };
  return { phase: 'running', reason: '', message: '' };
}

