import type { QuotaLimits } from '../model/quota.js';
import type { ResourceSpec } from '../model/resource-spec.js';
import { WharfError } from './errors.js';
import type { ServiceState } from './service.js';

/** What usage is counted with: a resource spec's size. */
export type SpecSize = Pick<ResourceSpec, 'name' | 'cpu' | 'memory'>;

/** What a set of services asks of the engine, in the dimensions a quota limits. */
export type QuotaUsage = Required<QuotaLimits>;

export const QUOTA_DIMENSIONS = ['services', 'pods', 'containers', 'cpu', 'memory'] as const satisfies ReadonlyArray<keyof QuotaUsage>;

const UNITS: Record<keyof QuotaUsage, string> = { services: 'services', pods: 'pods', containers: 'containers', cpu: 'CPU cores', memory: 'MB of memory' };

export const NO_USAGE: QuotaUsage = { services: 0, pods: 0, containers: 0, cpu: 0, memory: 0 };

/**
 * Usage counted on desired state, so a refusal comes before anything is created: a stopped
 * service counts as a service but runs no pod; each container gets its resource spec's CPU and
 * memory (the seed's specs are container specs). A spec the region no longer offers counts as 0.
 */
export function usageOf(services: readonly ServiceState[], specs: readonly SpecSize[]): QuotaUsage {
  const usage = { ...NO_USAGE };
  for (const service of services) {
    usage.services += 1;
    if (service.stopped) continue;
    const spec = specs.find((candidate) => candidate.name === service.resourceSpec);
    const containers = service.instanceNumber * service.containers.length;
    usage.pods += service.instanceNumber;
    usage.containers += containers;
    usage.cpu += containers * (spec?.cpu ?? 0);
    usage.memory += containers * (spec?.memory ?? 0);
  }
  return usage;
}

export function hasLimits(limits: QuotaLimits): boolean {
  return QUOTA_DIMENSIONS.some((dimension) => limits[dimension] !== undefined);
}

/**
 * Refuses a change that takes usage over a limit. Only a dimension the change grows is checked:
 * a project already over a quota lowered under it may still shrink, stop and delete.
 * `scope` names whose quota it is: `project "shop"`, `region "local"`.
 */
export function checkQuota(scope: string, limits: QuotaLimits, before: QuotaUsage, after: QuotaUsage): void {
  for (const dimension of QUOTA_DIMENSIONS) {
    const limit = limits[dimension];
    if (limit === undefined || after[dimension] <= before[dimension] || after[dimension] <= limit) continue;
    throw new WharfError(
      'QuotaExceeded',
      `${scope} may use ${limit} ${UNITS[dimension]} (quota ${dimension}); it uses ${round(before[dimension])} and this change would make it ${round(after[dimension])}`,
    );
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
