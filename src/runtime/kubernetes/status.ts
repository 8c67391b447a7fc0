import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import type { ContainerStatus, PodPhase } from '../../model/service-status.js';
import type { Port } from '../../model/service.js';
import type { ObservedPod, ObservedWorkload } from '../../domain/observed.js';
import type { Workload } from './api.js';
import { ANNOTATIONS, LABELS } from './labels.js';

// The seed's length limits of the pod object (status.reason/message 64, container reason/message 256).
const POD_TEXT = 64;
const CONTAINER_TEXT = 256;

const PHASES: Record<string, PodPhase> = {
  Pending: 'pending',
  Running: 'running',
  Succeeded: 'succeeded',
  Failed: 'failed',
  Unknown: 'unknown',
};

/** A Kubernetes pod in the seed's vocabulary; Wharf's labels and annotations tell its service and revision. */
export function toObservedPod(pod: V1Pod): ObservedPod {
  const terminating = pod.metadata?.deletionTimestamp !== undefined;
  const readyCondition = (pod.status?.conditions ?? []).find((condition) => condition.type === 'Ready' && condition.status === 'True');
  const ready = !terminating && readyCondition !== undefined;
  // As Kubernetes counts availability: from the Ready condition's last transition (minReadySeconds later).
  const readySince = ready ? timestamp(readyCondition.lastTransitionTime ?? pod.status?.startTime ?? pod.metadata?.creationTimestamp) : undefined;
  const statuses = new Map((pod.status?.containerStatuses ?? []).map((status) => [status.name, status]));
  // In the order of the pod's spec, so a container that has no status yet is still listed.
  const containerStatuses = (pod.spec?.containers ?? []).map((container) => containerStatus(container.name, statuses.get(container.name)));
  // The pod has no reason of its own for a container that waits for its ConfigMap: show the container's, as on Docker.
  const configWait = containerStatuses.find((status) => status.reason === 'ConfigMapNotFound');
  return {
    name: pod.metadata?.name ?? '',
    serviceUid: pod.metadata?.labels?.[LABELS.serviceUid] ?? '',
    revision: Number(pod.metadata?.annotations?.[ANNOTATIONS.revision] ?? 0),
    podTemplateHash: pod.metadata?.annotations?.[ANNOTATIONS.templateHash] ?? '',
    status: {
      // Kubernetes keeps a deleted pod's phase until it is gone; Wharf names the removal, which is never a failure.
      phase: terminating ? 'terminating' : PHASES[pod.status?.phase ?? 'Pending'] ?? 'unknown',
      // A terminating pod keeps its phase until it is gone; kubectl shows it as Terminating too.
      reason: clip(terminating ? 'Terminating' : podReason(pod) || (configWait?.reason ?? ''), POD_TEXT),
      message: clip(terminating ? '' : podMessage(pod) || (configWait?.message ?? ''), POD_TEXT),
    },
    containerStatuses,
    ready,
    ...(readySince ? { readySince } : {}),
    creationTime: timestamp(pod.metadata?.creationTimestamp),
  };
}

/** What the workload was last applied with, from the labels and annotations render() put on it. */
export function toObservedWorkload(workload: Workload): ObservedWorkload {
  const annotations = workload.metadata?.annotations ?? {};
  return {
    serviceUid: workload.metadata?.labels?.[LABELS.serviceUid] ?? '',
    revision: Number(annotations[ANNOTATIONS.revision] ?? 0),
    podTemplateHash: annotations[ANNOTATIONS.templateHash] ?? '',
    replicas: workload.spec?.replicas ?? 1,
    ports: parsePorts(annotations[ANNOTATIONS.ports] ?? ''),
    ...(workload.spec?.minReadySeconds === undefined ? {} : { minReadySeconds: workload.spec.minReadySeconds }),
    ...(workload.spec && 'progressDeadlineSeconds' in workload.spec && workload.spec.progressDeadlineSeconds !== undefined
      ? { progressDeadlineSeconds: workload.spec.progressDeadlineSeconds }
      : {}),
    ...progressVerdict(workload),
  };
}

/**
 * A Deployment whose rollout ran out of time says so in its Progressing condition. Only a verdict
 * on the generation it was given counts: right after an apply, the API server answers the new
 * template with the conditions of the old one until the Deployment controller has looked.
 */
function progressVerdict(workload: Workload): Pick<ObservedWorkload, 'progressDeadlineExceeded'> {
  if (workload.status?.observedGeneration === undefined || workload.status.observedGeneration !== workload.metadata?.generation) return {};
  const progressing = workload.status.conditions?.find((condition) => condition.type === 'Progressing');
  if (progressing?.status !== 'False' || progressing.reason !== 'ProgressDeadlineExceeded') return {};
  return { progressDeadlineExceeded: clip(progressing.message || 'ProgressDeadlineExceeded', CONTAINER_TEXT) };
}

function containerStatus(name: string, status: V1ContainerStatus | undefined): ContainerStatus {
  const startedAt = status?.state?.running?.startedAt;
  const last = status?.lastState?.terminated;
  return {
    ...baseStatus(name, status),
    ready: status?.ready ?? false,
    restartCount: status?.restartCount ?? 0,
    ...(startedAt === undefined ? {} : { startedAt: timestamp(startedAt) }),
    ...(last?.finishedAt === undefined ? {} : { lastState: { exitCode: last.exitCode, reason: lastReason(last.reason, last.exitCode), finishedAt: timestamp(last.finishedAt) } }),
  };
}

const LAST_REASONS = new Set(['Error', 'OOMKilled', 'Completed']);

/** The API's three words for how a container ended; the kubelet's rarer ones (ContainerCannotRun, …) by their exit code. */
function lastReason(reason: string | undefined, exitCode: number): string {
  if (reason !== undefined && LAST_REASONS.has(reason)) return reason;
  return exitCode === 0 ? 'Completed' : 'Error';
}

function baseStatus(name: string, status: V1ContainerStatus | undefined): Omit<ContainerStatus, 'ready' | 'restartCount'> {
  const state = status?.state;
  if (state?.running) return { name, state: 'running', reason: '', message: '' };
  if (state?.terminated) {
    const { reason, message, exitCode } = state.terminated;
    return { name, state: 'terminated', reason: clip(reason ?? '', CONTAINER_TEXT), message: clip(message || `exit code ${exitCode}`, CONTAINER_TEXT) };
  }
  if (state?.waiting) {
    const { reason, message } = state.waiting;
    // Kubelet's word for a missing ConfigMap or key (`configmap "cm" not found`, `couldn't find key k in ConfigMap ns/cm`) is Wharf's ConfigMapNotFound.
    const configMapMissing = reason === 'CreateContainerConfigError' && /configmap/i.test(message ?? '');
    return { name, state: 'waiting', reason: configMapMissing ? 'ConfigMapNotFound' : clip(reason ?? '', CONTAINER_TEXT), message: clip(message ?? '', CONTAINER_TEXT) };
  }
  // No status yet: the pod is not scheduled or its containers are not created.
  return { name, state: status ? 'unknown' : 'waiting', reason: '', message: '' };
}

/** The pod's own reason (e.g. Evicted), else why it is not scheduled (Unschedulable). */
function podReason(pod: V1Pod): string {
  return pod.status?.reason ?? unscheduled(pod)?.reason ?? '';
}

function podMessage(pod: V1Pod): string {
  return pod.status?.message ?? unscheduled(pod)?.message ?? '';
}

function unscheduled(pod: V1Pod): { reason?: string; message?: string } | undefined {
  return pod.status?.conditions?.find((condition) => condition.type === 'PodScheduled' && condition.status === 'False');
}

/** Parses the `80/TCP,8080:80/UDP` of render()'s ports annotation (see portsText). */
function parsePorts(text: string): Port[] {
  if (text === '') return [];
  return text.split(',').map((entry) => {
    const [ports = '', protocol] = entry.split('/');
    const [port, servicePort] = ports.split(':').reverse();
    return {
      port: Number(port),
      protocol: protocol === 'UDP' ? 'UDP' : 'TCP',
      ...(servicePort === undefined ? {} : { servicePort: Number(servicePort) }),
    };
  });
}

// Typed list answers carry Date objects, watch events the API's RFC 3339 strings.
function timestamp(value: Date | string | undefined): string {
  return value === undefined ? '' : new Date(value).toISOString();
}

function clip(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}
