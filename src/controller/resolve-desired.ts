import { withPodTemplateHash } from '../domain/configmaps.js';
import type { ServiceKey } from '../domain/keys.js';
import { configMapDigestsOf, type ConfigMapContent, type PodInputs } from '../domain/pod-inputs.js';
import type { DesiredService } from '../domain/service.js';
import { configMapNames } from '../domain/template.js';
import { volumeNames, type VolumeSpec } from '../domain/volumes.js';
import type { Store } from '../store/store.js';

/** A service's desired state with what its template reads from the store, resolved together. */
export interface ResolvedDesired {
  desired: DesiredService;
  inputs: PodInputs;
}

/**
 * The desired state of a service, the ConfigMaps and volumes its template needs and its project's
 * quota (undefined: the
 * service does not exist). The pod template hash is computed again from the ConfigMaps read here,
 * not taken from the desired state's: a ConfigMap written between the two reads would otherwise
 * give pods a hash that does not describe their content. A later write changes the hash, and the
 * next reconcile rolls the pods to it.
 */
export async function resolveDesired(store: Store, key: ServiceKey): Promise<ResolvedDesired | undefined> {
  const found = await store.findDesired(key);
  if (!found) return undefined;
  const { region, project } = key;
  const configMaps = new Map<string, ConfigMapContent>();
  for (const name of configMapNames(found.containers)) {
    const content = await store.configMaps.find({ region, project, name });
    if (content) configMaps.set(name, content);
  }
  const volumes = new Map<string, VolumeSpec>();
  for (const name of volumeNames(found.containers)) {
    const volume = await store.volumes.find({ region, project, name });
    if (volume) volumes.set(name, volume);
  }
  const { limits: projectQuota } = await store.quotas.limitsOf(region, project);
  const inputs = { configMaps, volumes, projectQuota };
  return { desired: withPodTemplateHash(found, configMapDigestsOf(inputs)), inputs };
}
