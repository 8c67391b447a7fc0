import type { ServiceType } from '../../model/service.js';
import type { ServiceKey } from '../../domain/keys.js';
import type { KubernetesApi, Workload } from './api.js';
import { serviceName, serviceSelector } from './labels.js';
import { QUOTA_NAME } from './quota.js';
import type { Manifests } from './render.js';

const WORKLOAD_TYPES: ServiceType[] = ['stateless', 'stateful'];

/**
 * Writes one service's manifests. Server-side apply (field manager `wharf`, forced: Wharf's
 * desired state wins over edits by hand) for the namespace, the project's ResourceQuota, the
 * ConfigMaps, the workload and its Service; volume claims are only created, never changed.
 * Returns the workload as the API server stored it.
 */
export async function applyManifests(
  api: KubernetesApi,
  key: ServiceKey,
  type: ServiceType,
  manifests: Manifests,
  appliedNamespaces: Set<string>,
): Promise<Workload> {
  const namespace = manifests.namespace.metadata!.name!;
  try {
    if (!appliedNamespaces.has(namespace)) {
      await api.applyNamespace(manifests.namespace);
      appliedNamespaces.add(namespace);
    }
    // Before the workload: its pods are admitted against the room this quota makes for them.
    if (manifests.quota) await api.applyResourceQuota(manifests.quota);
    else await api.deleteResourceQuota(namespace, QUOTA_NAME);
    for (const configMap of manifests.configMaps) await api.applyConfigMap(configMap);
    for (const claim of manifests.volumeClaims) await api.createVolumeClaimIfAbsent(claim);
    const workload = await api.applyWorkload(manifests.workload, type);
    // A service whose ports were all removed keeps no ClusterIP Service (one needs a port).
    if (manifests.service) await api.applyService(manifests.service);
    else await api.deleteService(namespace, serviceName(key));
    return workload;
  } catch (error) {
    // The namespace may have been deleted by hand: the retry applies it again.
    appliedNamespaces.delete(namespace);
    throw error;
  }
}

/** Deletes every workload and Service of a service, found by label; volume claims and ConfigMaps stay. */
export async function deleteServiceObjects(api: KubernetesApi, namespace: string, key: ServiceKey): Promise<void> {
  const selector = serviceSelector(key);
  for (const type of WORKLOAD_TYPES) {
    for (const workload of await api.listWorkloads(type, namespace, selector)) {
      await api.deleteWorkload(type, namespace, workload.metadata!.name!);
    }
  }
  for (const service of await api.listServices(namespace, selector)) await api.deleteService(namespace, service.metadata!.name!);
}
