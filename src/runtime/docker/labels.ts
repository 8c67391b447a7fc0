import type { ServiceKey } from '../../domain/keys.js';
import type { PodSpec } from '../../domain/plan.js';

/** Compose-style reverse-DNS labels on every object Wharf creates (DESIGN.md §2 "Docker mapping"). */
export const LABEL = {
  region: 'io.wharf.region',
  project: 'io.wharf.project',
  app: 'io.wharf.app',
  service: 'io.wharf.service',
  serviceUid: 'io.wharf.service-uid',
  revision: 'io.wharf.revision',
  pod: 'io.wharf.pod',
  templateHash: 'io.wharf.template-hash',
  /** `sandbox`, or `container` for one of the spec's containers. */
  role: 'io.wharf.role',
  /** On a spec container: its name in the spec. */
  container: 'io.wharf.container',
  /** On the sandbox: the spec's container names in order, so a container removed outside Wharf is noticed. */
  containers: 'io.wharf.containers',
  volume: 'io.wharf.volume',
} as const;

export type Labels = Record<string, string>;

export function podLabels(region: string, spec: PodSpec): Labels {
  return {
    [LABEL.region]: region,
    [LABEL.project]: spec.key.project,
    [LABEL.app]: spec.key.app,
    [LABEL.service]: spec.key.service,
    [LABEL.serviceUid]: spec.serviceUid,
    [LABEL.revision]: String(spec.revision),
    [LABEL.pod]: spec.name,
    [LABEL.templateHash]: spec.templateHash,
  };
}

export function sandboxLabels(region: string, spec: PodSpec): Labels {
  return {
    ...podLabels(region, spec),
    [LABEL.role]: 'sandbox',
    [LABEL.containers]: spec.containers.map((container) => container.name).join(','),
  };
}

export function containerLabels(region: string, spec: PodSpec, container: string): Labels {
  return { ...podLabels(region, spec), [LABEL.role]: 'container', [LABEL.container]: container };
}

/** The service a Wharf object belongs to, or undefined when its labels are not Wharf's. */
export function keyOfLabels(labels: Labels): ServiceKey | undefined {
  const { [LABEL.region]: region, [LABEL.project]: project, [LABEL.app]: app, [LABEL.service]: service } = labels;
  return region && project && app && service ? { region, project, app, service } : undefined;
}

/** Docker filters selecting every Wharf container of a region, or of one pod. */
export function regionFilter(region: string): string[] {
  return [`${LABEL.region}=${region}`];
}

export function podFilter(key: ServiceKey, pod: string): string[] {
  return [`${LABEL.region}=${key.region}`, `${LABEL.project}=${key.project}`, `${LABEL.pod}=${pod}`];
}

// Names are unique on the host. `_` separates the parts because no region, project, pod or
// container name may hold one (they are DNS labels), so two different pods never share a name;
// the sandbox's part is upper case, which no spec container name can be.
export function sandboxName(key: ServiceKey, pod: string): string {
  return `wharf_${key.region}_${key.project}_${pod}_POD`;
}

export function containerName(key: ServiceKey, pod: string, container: string): string {
  return `wharf_${key.region}_${key.project}_${pod}_${container}`;
}

export function networkName(project: string): string {
  return `wharf-${project}`;
}

export function volumeName(project: string, volume: string): string {
  return `wharf-${project}-${volume}`;
}
