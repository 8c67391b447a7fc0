import type { QuotaLimits } from '../model/quota.js';
import type { VolumeSpec } from './volumes.js';

/** A ConfigMap as the pods that read it get it. */
export interface ConfigMapContent {
  data: Record<string, string>;
  /** Changes whenever the data does. */
  digest: string;
}

/**
 * What a service's template reads from the store besides itself, resolved once per reconcile
 * before planning and carried on every operation: a driver writes exactly what the pod template
 * hash was computed from, even if the store changed since.
 */
export interface PodInputs {
  /** The ConfigMaps the containers read that exist, by name; one absent is missing to the pods. */
  configMaps: ReadonlyMap<string, ConfigMapContent>;
  /** The volumes the containers mount that the store has, by name. */
  volumes: ReadonlyMap<string, VolumeSpec>;
  /** The project's quota in the region, which an engine may enforce itself (Kubernetes' ResourceQuota). */
  projectQuota: QuotaLimits;
}

export const NO_POD_INPUTS: PodInputs = { configMaps: new Map(), volumes: new Map(), projectQuota: {} };

/** The digests a pod template hash covers: those of the ConfigMaps carried, so hash and content agree. */
export function configMapDigestsOf(inputs: PodInputs): Map<string, string> {
  return new Map([...inputs.configMaps].map(([name, content]) => [name, content.digest]));
}
