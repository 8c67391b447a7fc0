import { WharfError, invalidArgs } from './errors.js';
import { serviceLabel, type ServiceKey } from './keys.js';
import type { ObservedPod, ObservedService } from './observed.js';

/** A pod of a service as the engine has it, by name; 404 NotFound when the service has no such pod. */
export function findPod(key: ServiceKey, observed: ObservedService, name: string): ObservedPod {
  const pod = observed.pods.find((candidate) => candidate.name === name);
  if (!pod) throw new WharfError('NotFound', `pod "${name}" of service ${serviceLabel(key)} does not exist`);
  return pod;
}

/**
 * The container a request means: the one named, or the pod's only one. As kubectl does, a pod of
 * several containers needs the name (400 naming the choices); an unknown name is 400 too.
 */
export function chooseContainer(pod: ObservedPod, container: string | undefined): string {
  const names = pod.containerStatuses.map((status) => status.name);
  if (container !== undefined && container !== '') {
    if (names.includes(container)) return container;
    throw invalidArgs(`container "${container}" is not in pod ${pod.name}; choose one of: ${names.join(', ')}`, 'container');
  }
  if (names.length === 1) return names[0]!;
  throw invalidArgs(`pod ${pod.name} has ${names.length} containers: name one with ?container= (${names.join(', ')})`, 'container');
}
