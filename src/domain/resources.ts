import type { ServiceState } from './service.js';
import type { GpuType, RegionPolicy } from './validation.js';

/** What each container of a pod gets (the seed's specs are container specs): CPU, memory and GPUs. */
export interface PodResources {
  cpu: number;
  memoryMb: number;
  /** Undefined: no GPU. */
  gpus?: { number: number; type: GpuType };
}

/**
 * A service's resources, sized by the region's catalogues. The service was valid when it was
 * written; a spec or GPU type the config dropped since then fails its reconciles, loudly, rather
 * than running its pods with other resources.
 */
export function podResources(policy: Pick<RegionPolicy, 'resourceSpecs' | 'gpus'>, state: Pick<ServiceState, 'resourceSpec' | 'gpuSpec'>): PodResources {
  const spec = policy.resourceSpecs.find((candidate) => candidate.name === state.resourceSpec);
  if (!spec) throw new Error(`resource spec ${state.resourceSpec} is no longer in the region's config`);
  const resources: PodResources = { cpu: spec.cpu, memoryMb: spec.memory };
  if (!state.gpuSpec) return resources;
  const type = policy.gpus.find((candidate) => candidate.type === state.gpuSpec!.type);
  if (!type) throw new Error(`GPU type ${state.gpuSpec.type} is no longer in the region's config`);
  return { ...resources, gpus: { number: state.gpuSpec.number, type } };
}
