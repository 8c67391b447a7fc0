import { PROBE_KINDS, type Probe, type ProbeKind } from '../../model/probe.js';
import type { Container } from '../../model/container.js';
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
  /**
   * `sandbox`, `container` for one of the spec's containers, `owner` for the region's claim marker
   * (ownership.ts), `volume-copy` for a migration's helper (migration.ts).
   */
  role: 'io.wharf.role',
  /** On a spec container: its name in the spec. */
  container: 'io.wharf.container',
  /** On the sandbox: the spec's container names in order, so a container removed outside Wharf is noticed. */
  containers: 'io.wharf.containers',
  /**
   * On a spec container with probes: them, normalised, as JSON. Wharf runs probes itself on Docker;
   * kept with the container, each pod keeps its own revision's probes, and a restarted Wharf finds them.
   */
  probes: 'io.wharf.probes',
  volume: 'io.wharf.volume',
  /** The id of the Wharf that created the object (store/instance.ts); absent on objects from before it was kept. */
  instance: 'io.wharf.instance',
  /** On the region's claim marker (ownership.ts): where the owning Wharf ran, and since when. */
  host: 'io.wharf.host',
  claimedAt: 'io.wharf.claimed-at',
} as const;

export type Labels = Record<string, string>;

/** Who creates an object: the region it is for and the Wharf instance that made it. */
export interface Owner {
  region: string;
  instanceId: string;
}

/** The labels of a project's objects (its network, and the base of every other). */
export function projectLabels(owner: Owner, project: string): Labels {
  return { [LABEL.region]: owner.region, [LABEL.project]: project, [LABEL.instance]: owner.instanceId };
}

export function volumeLabels(owner: Owner, project: string, volume: string): Labels {
  return { ...projectLabels(owner, project), [LABEL.volume]: volume };
}

export function podLabels(owner: Owner, spec: PodSpec): Labels {
  return {
    ...projectLabels(owner, spec.key.project),
    [LABEL.app]: spec.key.app,
    [LABEL.service]: spec.key.service,
    [LABEL.serviceUid]: spec.serviceUid,
    [LABEL.revision]: String(spec.revision),
    [LABEL.pod]: spec.name,
    [LABEL.templateHash]: spec.podTemplateHash,
  };
}

export function sandboxLabels(owner: Owner, spec: PodSpec): Labels {
  return {
    ...podLabels(owner, spec),
    [LABEL.role]: 'sandbox',
    [LABEL.containers]: spec.containers.map((container) => container.name).join(','),
  };
}

export function containerLabels(owner: Owner, spec: PodSpec, container: Container): Labels {
  const probes = probesOf(container);
  return {
    ...podLabels(owner, spec),
    [LABEL.role]: 'container',
    [LABEL.container]: container.name,
    ...(Object.keys(probes).length > 0 ? { [LABEL.probes]: JSON.stringify(probes) } : {}),
  };
}

/** A container's probes, by kind; absent kinds left out. */
export type ContainerProbeSpecs = Partial<Record<ProbeKind, Probe>>;

function probesOf(container: Container): ContainerProbeSpecs {
  return Object.fromEntries(PROBE_KINDS.flatMap((kind) => (container[kind] ? [[kind, container[kind]]] : [])));
}

/**
 * The probes a container's labels carry. A label that does not parse (written by hand, or by a
 * later Wharf) means no probes: the container is then judged as running or not, never broken by it.
 */
export function probesOfLabels(labels: Labels): ContainerProbeSpecs {
  const text = labels[LABEL.probes];
  if (!text) return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return {};
    const record = parsed as Record<string, unknown>;
    return Object.fromEntries(PROBE_KINDS.flatMap((kind) => (isProbe(record[kind]) ? [[kind, record[kind]]] : [])));
  } catch {
    return {};
  }
}

function isProbe(value: unknown): value is Probe {
  if (typeof value !== 'object' || value === null) return false;
  const probe = value as Partial<Probe>;
  const handlers = [probe.httpGet, probe.tcpSocket, probe.exec].filter((handler) => handler !== undefined).length;
  const numbers = [probe.initialDelaySeconds, probe.periodSeconds, probe.timeoutSeconds, probe.successThreshold, probe.failureThreshold];
  return handlers === 1 && numbers.every((number) => typeof number === 'number');
}

/** The service a Wharf object belongs to, or undefined when its labels are not Wharf's. */
export function keyOfLabels(labels: Labels): ServiceKey | undefined {
  const { [LABEL.region]: region, [LABEL.project]: project, [LABEL.app]: app, [LABEL.service]: service } = labels;
  // A V2 service's app is empty (keys.ts V2_APP): the label is present, with no value.
  return region && project && app !== undefined && service ? { region, project, app, service } : undefined;
}

/**
 * Whether this Wharf may adopt or remove an object: it made it, or the object predates instance
 * labels (then it is one of this region's own legacy pods). Another Wharf's objects are never touched.
 */
export function isOwnedBy(labels: Labels, instanceId: string): boolean {
  const owner = labels[LABEL.instance];
  return owner === undefined || owner === instanceId;
}

/**
 * Why the named volume `name`, labelled `labels`, is not the volume `volume` of `project` that
 * `owner` made, or undefined when it is. Its name is derived from the same parts, so a mismatch
 * means it was made by someone else (another Wharf, a person, Docker on a bare mount).
 */
export function volumeConflict(name: string, labels: Labels | null | undefined, owner: Owner, project: string, volume: string): string | undefined {
  const expected = volumeLabels(owner, project, volume);
  const found = labels ?? {};
  const differ = Object.keys(expected).filter((label) => found[label] !== expected[label]);
  if (differ.length === 0) return undefined;
  const whose = differ.map((label) => `${label}=${found[label] ?? '(none)'}`).join(', ');
  return `the Docker volume ${name} is not volume "${volume}" of project "${project}" in region "${owner.region}" of Wharf instance ${owner.instanceId}: it carries ${whose}`;
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

// Region first, as in container names: the same project in two regions of one engine is two projects.
export function networkName(region: string, project: string): string {
  return `wharf_${region}_${project}`;
}

export function volumeName(region: string, project: string, volume: string): string {
  return `wharf_${region}_${project}_${volume}`;
}

/** The region's claim marker (ownership.ts); it has three parts, a pod's containers five. */
export function claimMarkerName(region: string): string {
  return `wharf_${region}_OWNER`;
}
