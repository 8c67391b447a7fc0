import type { V1Deployment, V1PodTemplateSpec, V1ResourceQuota, V1StatefulSet } from '@kubernetes/client-node';
import type { QuotaLimits } from '../../model/quota.js';

/** The one ResourceQuota Wharf keeps in each project namespace. */
export const QUOTA_NAME = 'wharf-quota';

/** What one pod asks for: the sum over its containers. */
export interface PodSize {
  cpu: number;
  memoryMb: number;
}

/** A project's quota as the namespace's ResourceQuota needs it. */
export interface ProjectQuota {
  limits: QuotaLimits;
  /**
   * One pod of each other Deployment in the namespace. Wharf's quota counts desired pods, but a
   * Deployment rolls out with one pod over its replicas (maxSurge 1, maxUnavailable 0): a
   * ResourceQuota of exactly the quota would refuse that pod, and the rollout would wait for it
   * forever. A StatefulSet deletes its pod before it creates the new one: it needs no room.
   */
  surge: PodSize[];
}

/**
 * The ResourceQuota of a project's namespace, as `workload` is applied: Wharf's own check is the
 * authority, this is defence in depth against pods made in the namespace outside Wharf. Only pods,
 * CPU and memory map onto Kubernetes' quota: `services` would be Deployments plus StatefulSets,
 * which no one quota counts together, and containers are not counted at all (docs/kubernetes.md).
 * Undefined when none of the three is limited: the driver deletes the ResourceQuota then.
 */
export function renderResourceQuota(
  namespace: string,
  labels: Record<string, string>,
  quota: ProjectQuota,
  workload: V1Deployment | V1StatefulSet,
): V1ResourceQuota | undefined {
  const { limits } = quota;
  const surge = workload.kind === 'Deployment' ? [...quota.surge, podSizeOf(workload.spec?.template)] : quota.surge;
  const hard: Record<string, string> = {};
  if (limits.pods !== undefined) hard.pods = String(limits.pods + surge.length);
  if (limits.cpu !== undefined) {
    const cpu = cpuQuantity(limits.cpu + sum(surge.map((pod) => pod.cpu)));
    Object.assign(hard, { 'requests.cpu': cpu, 'limits.cpu': cpu });
  }
  if (limits.memory !== undefined) {
    // Wharf's MB are the Mi of its pods' limits (render.ts), so the two add up exactly.
    const memory = `${limits.memory + sum(surge.map((pod) => pod.memoryMb))}Mi`;
    Object.assign(hard, { 'requests.memory': memory, 'limits.memory': memory });
  }
  if (Object.keys(hard).length === 0) return undefined;
  return { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: QUOTA_NAME, namespace, labels }, spec: { hard } };
}

/**
 * A pod template's size from its containers' limits, in the forms render.ts writes them (`1500m`,
 * `1024Mi`); any other form counts 0, and the next apply of the workload writes Wharf's form again.
 */
export function podSizeOf(template: V1PodTemplateSpec | undefined): PodSize {
  const limits = (template?.spec?.containers ?? []).map((container) => container.resources?.limits ?? {});
  return {
    cpu: sum(limits.map((limit) => Number(/^(\d+)m$/.exec(limit.cpu ?? '')?.[1] ?? 0) / 1000)),
    memoryMb: sum(limits.map((limit) => Number(/^(\d+)Mi$/.exec(limit.memory ?? '')?.[1] ?? 0))),
  };
}

/** Whole cores as such, a fraction in millicores: `4`, `2500m`. */
function cpuQuantity(cores: number): string {
  return Number.isInteger(cores) ? String(cores) : `${Math.round(cores * 1000)}m`;
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
