import type { Container } from '../model/container.js';
import type { ConfigMapContent, PodInputs } from '../domain/pod-inputs.js';
import { configMapNames } from '../domain/template.js';
import { parseConfigMapRef } from '../domain/validation.js';

/**
 * The ConfigMaps the containers read, from those the operation carries, or the sentence that names
 * the ConfigMap or key that is missing. Every runtime that starts pods itself asks this first, so a
 * pod waits for the same reasons, in the same words, whichever engine it is on.
 */
export function podConfigMaps(
  containers: Container[],
  project: string,
  carried: PodInputs['configMaps'],
): { found: Map<string, ConfigMapContent> } | { missing: string } {
  const found = new Map<string, ConfigMapContent>();
  for (const name of configMapNames(containers)) {
    const content = carried.get(name);
    if (!content) return { missing: `ConfigMap "${name}" does not exist in project "${project}"` };
    found.set(name, content);
  }
  for (const env of containers.flatMap((container) => container.envs)) {
    const ref = env.type === 'configMap' ? parseConfigMapRef(env.value) : undefined;
    // Own keys only: "cm.constructor" must not find Object.prototype.constructor.
    if (ref && !Object.hasOwn(found.get(ref.configMap)!.data, ref.key)) {
      return { missing: `ConfigMap "${ref.configMap}" has no key "${ref.key}" (env ${env.name}) in project "${project}"` };
    }
  }
  return { found };
}
