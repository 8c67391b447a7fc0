import type { Container } from '../model/container.js';
import type { Port, ServiceType } from '../model/service.js';
import { workloadBaseName, type ServiceKey } from './keys.js';
import type { ObservedPod } from './observed.js';
import type { PodInputs } from './pod-inputs.js';
import type { PodResources } from './resources.js';
import { isAvailable } from './rollout.js';
import type { DesiredService } from './service.js';

/** Everything a runtime needs to start one pod. */
export interface PodSpec {
  name: string;
  key: ServiceKey;
  serviceUid: string;
  type: ServiceType;
  revision: number;
  podTemplateHash: string;
  containers: Container[];
  resources: PodResources;
  ports: Port[];
  /** What the containers read and mount, as resolved before planning: the driver reads no store. */
  configMaps: PodInputs['configMaps'];
  volumes: PodInputs['volumes'];
}

/** Everything an engine that rolls pods out itself (Kubernetes) needs for a service's workload. */
export interface WorkloadSpec extends Omit<PodSpec, 'name'> {
  /** The pods the engine keeps: instanceNumber, or 0 while the service is stopped. */
  replicas: number;
  /** The service's rollout settings the engine can honour itself (a Deployment's fields of the same names). */
  minReadySeconds: number;
  progressDeadlineSeconds: number;
  /** The project's quota, as resolved before planning: applied with the workload (Kubernetes' ResourceQuota). */
  projectQuota: PodInputs['projectQuota'];
}

/**
 * One engine call, with the cause that made it necessary. `create` and `remove` come from `plan`
 * below (Wharf rolls pods out); `apply`, `scale` and `delete` from `planWorkload` in
 * workload-plan.ts (the engine rolls pods out of a workload itself).
 */
export type Operation = PodOperation | WorkloadOperation;

export type PodOperation =
  | { action: 'create'; pod: PodSpec; cause: string }
  | { action: 'remove'; key: ServiceKey; pod: string; cause: string };

export type WorkloadOperation =
  | { action: 'apply'; workload: WorkloadSpec; cause: string }
  | { action: 'scale'; key: ServiceKey; replicas: number; cause: string }
  | { action: 'delete'; key: ServiceKey; cause: string };

export interface PlanContext {
  resources: PodResources;
  /** Five random characters for a stateless pod name; injected so tests can plan deterministically. */
  podSuffix: () => string;
  /** Milliseconds since the epoch: a pod is available once it has run minReadySeconds by then. */
  now: number;
  /** The ConfigMaps and volumes of the desired template, whose digests its podTemplateHash covers. */
  inputs: PodInputs;
}

type Remove = (pod: ObservedPod, cause: string) => PodOperation;

export function describe(operation: Operation): string {
  switch (operation.action) {
    case 'create':
      return `create ${operation.pod.name} (revision ${operation.pod.revision}): ${operation.cause}`;
    case 'remove':
      return `remove ${operation.pod}: ${operation.cause}`;
    case 'apply':
      return `apply revision ${operation.workload.revision} with ${operation.workload.replicas} replica(s): ${operation.cause}`;
    case 'scale':
      return `scale to ${operation.replicas} replica(s): ${operation.cause}`;
    case 'delete':
      return `delete the workload: ${operation.cause}`;
  }
}

/**
 * What to do so the engine matches the desired state of one service (undefined: it was deleted).
 * Pure: the same desired and observed state always give the same plan. The rollout rules of every
 * runtime live here: stateless rolls with maxSurge 1 / maxUnavailable 0, stateful is recreated.
 */
export function plan(
  key: ServiceKey,
  desired: DesiredService | undefined,
  pods: ObservedPod[],
  context: PlanContext,
): PodOperation[] {
  const remove = (pod: ObservedPod, cause: string): PodOperation => ({ action: 'remove', key, pod: pod.name, cause });
  if (desired === undefined) return pods.filter((pod) => pod.status.phase !== 'terminating').map((pod) => remove(pod, 'the service was deleted'));

  const operations: PodOperation[] = [];
  const own: ObservedPod[] = [];
  for (const pod of pods) {
    // Being removed already: neither removed again nor counted as serving.
    if (pod.status.phase === 'terminating') continue;
    if (pod.serviceUid !== desired.uid) operations.push(remove(pod, 'left by an earlier service of the same name'));
    else if (desired.stopped) operations.push(remove(pod, 'the service is stopped'));
    else if (pod.status.phase === 'failed' || pod.status.phase === 'succeeded') {
      operations.push(remove(pod, `the pod has ${pod.status.phase} and will not run again`));
    } else own.push(pod);
  }
  if (desired.stopped) return operations;
  if (desired.type === 'stateful') return [...operations, ...planRecreate(desired, own, pods, context, remove)];
  const leaving = pods.filter((pod) => pod.status.phase === 'terminating').length;
  return [...operations, ...planRollingUpdate(desired, own, leaving, context, remove)];
}

/**
 * Stateful: one pod with a fixed name; a new template stops the old pod before the new one starts.
 * The new pod comes once no pod of that name is observed, terminating or not (`observed`): one
 * writer per volume, and the engine may name containers after their pod.
 */
function planRecreate(desired: DesiredService, pods: ObservedPod[], observed: ObservedPod[], context: PlanContext, remove: Remove): PodOperation[] {
  const operations: PodOperation[] = [];
  const current = pods.filter((pod) => pod.podTemplateHash === desired.podTemplateHash);
  for (const pod of pods) {
    if (pod.podTemplateHash !== desired.podTemplateHash) {
      operations.push(remove(pod, `revision ${pod.revision} is replaced by ${desired.revision}: stateful pods are recreated, one writer per volume`));
    }
  }
  for (const pod of current.slice(1)) operations.push(remove(pod, 'a stateful service runs one pod'));
  const name = statefulPodName(desired.key);
  if (current.length === 0 && !observed.some((pod) => pod.name === name)) {
    operations.push(create(desired, context, name, 'the stateful service has no pod'));
  }
  return operations;
}

/**
 * Stateless: at most instanceNumber + 1 pods, never fewer than instanceNumber available while old
 * pods serve. Available: every container running minReadySeconds without a restart (isAvailable);
 * a running pod that has not been up so long does not count yet, so no old pod goes for it.
 */
function planRollingUpdate(desired: DesiredService, pods: ObservedPod[], leaving: number, context: PlanContext, remove: Remove): PodOperation[] {
  const want = desired.instanceNumber;
  const available = (pod: ObservedPod): boolean => isAvailable(pod, desired.rollout.minReadySeconds, context.now);
  const updated = pods.filter((pod) => pod.podTemplateHash === desired.podTemplateHash);
  const old = pods.filter((pod) => pod.podTemplateHash !== desired.podTemplateHash);
  const operations: PodOperation[] = [];

  // An old pod that is not running serves nobody: removing it costs no availability. One that runs
  // but is not available yet (restarted within minReadySeconds) still serves: it stays, uncounted.
  for (const pod of old.filter((pod) => !pod.ready)) {
    operations.push(remove(pod, `revision ${pod.revision} is outdated and not available`));
  }
  const oldServing = old.filter((pod) => pod.ready);
  const oldAvailable = oldestFirst(oldServing.filter(available));

  // Scale down: unavailable pods go first, then the newest.
  const excess = updated.length - want;
  if (excess > 0) {
    const byPreference = [...updated].sort((a, b) => Number(available(a)) - Number(available(b)) || b.creationTime.localeCompare(a.creationTime));
    for (const pod of byPreference.slice(0, excess)) operations.push(remove(pod, `scale down to ${want}`));
  }
  const updatedKept = Math.min(updated.length, want);
  const updatedAvailable = Math.min(updated.filter(available).length, want);

  // Scale up, or surge one pod over instanceNumber while old pods still serve. Pods on their way
  // out (`leaving`: terminating) serve nobody and count for nothing, as on Kubernetes, so the next
  // new pod need not wait for an old one's stop. But the surge is taken only while one at most is
  // leaving: slow stops cannot pile pods up on the engine (instanceNumber + 2 at most during a
  // rollout: one surged, one stopping), and never keep the service under instanceNumber.
  const surge = oldServing.length > 0 && leaving <= 1 ? 1 : 0;
  const room = want + surge - (updatedKept + oldServing.length);
  const toCreate = Math.min(want - updatedKept, Math.max(room, 0));
  for (let i = 0; i < toCreate; i++) {
    const cause = oldServing.length > 0
      ? `roll out revision ${desired.revision}: surge one pod while ${oldServing.length} old pod(s) serve`
      : `scale up to ${want}: ${updatedKept + i} of ${want} present`;
    operations.push(create(desired, context, statelessPodName(desired, context), cause));
  }

  // Old pods go only while the service keeps instanceNumber pods available without them: those not
  // available yet cost nothing then, of the available ones the oldest go first.
  const surplus = updatedAvailable + oldAvailable.length - want;
  const byRemoval = surplus < 0 ? [] : [...oldestFirst(oldServing.filter((pod) => !available(pod))), ...oldAvailable.slice(0, surplus)];
  for (const pod of byRemoval) {
    operations.push(remove(pod, `revision ${pod.revision} is replaced: ${updatedAvailable} new pod(s) available`));
  }
  return operations;
}

function oldestFirst(pods: ObservedPod[]): ObservedPod[] {
  return [...pods].sort((a, b) => a.creationTime.localeCompare(b.creationTime) || a.name.localeCompare(b.name));
}

function create(desired: DesiredService, context: PlanContext, name: string, cause: string): PodOperation {
  return { action: 'create', cause, pod: { name, ...podTemplateOf(desired, context.resources, context.inputs) } };
}

/** What every pod of the desired state runs; a pod adds its name, a workload its replica count. */
export function podTemplateOf(desired: DesiredService, resources: PlanContext['resources'], inputs: PodInputs): Omit<PodSpec, 'name'> {
  return {
    key: desired.key,
    serviceUid: desired.uid,
    type: desired.type,
    revision: desired.revision,
    podTemplateHash: desired.podTemplateHash,
    containers: desired.containers,
    resources,
    ports: desired.ports,
    configMaps: inputs.configMaps,
    volumes: inputs.volumes,
  };
}

// Pod names are DNS labels (≤ 63): the workload's base name is cut to leave room for hash and suffix.
const MAX_POD_NAME = 63;

export function statefulPodName(key: ServiceKey): string {
  return `${workloadBaseName(key)}-0`;
}

export function statelessPodName(desired: DesiredService, context: PlanContext): string {
  const tail = `-${desired.podTemplateHash}-${context.podSuffix()}`;
  const prefix = workloadBaseName(desired.key).slice(0, MAX_POD_NAME - tail.length).replace(/-+$/, '');
  return prefix + tail;
}
