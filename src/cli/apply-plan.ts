import { isDeepStrictEqual } from 'node:util';
import type { App } from '../api/schemas/app.js';
import type { ConfigMap, ConfigMapCreate } from '../api/schemas/configmap.js';
import type { Service } from '../api/schemas/microservice.js';
import { PROBE_KINDS } from '../model/probe.js';
import type { Container, ContainerPatch } from '../model/container.js';
import { type Port, ServiceCreate, type ServiceUpgrade } from '../model/service.js';
import type { Volume, VolumeCreate } from '../api/schemas/volume.js';
import { DEFAULT_ROLLOUT_SETTINGS } from '../domain/rollout.js';
import { gpusOf, normalizePorts } from '../domain/service.js';
import { normalizeContainers, templateHash, type Template } from '../domain/template.js';
import type { Manifest } from './manifest.js';

/** What runs, as the API answers it: the app (undefined when it does not exist), the project's ConfigMaps and volumes. */
export interface LiveState {
  app: App | undefined;
  configMaps: ConfigMap[];
  volumes: Volume[];
}

/** One field that differs; `from` undefined: added, `to` undefined: removed. */
export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

/** Where in the manifest an action comes from (`app.microservices[0]`), to name it in the server's errors. */
interface Source {
  source: string;
}

export type Action = Source &
  (
    | { kind: 'createConfigMap'; name: string; body: ConfigMapCreate }
    | { kind: 'updateConfigMap'; name: string; body: { data: Record<string, string> }; changes: FieldChange[] }
    | { kind: 'createVolume'; name: string; body: VolumeCreate }
    | { kind: 'createApp'; name: string; body: { name: string } }
    | { kind: 'createService'; name: string; body: ServiceCreate }
    /** newRevision: the number of the revision the upgrade opens; undefined when only rollout settings change. */
    | { kind: 'upgradeService'; name: string; body: ServiceUpgrade; newRevision: number | undefined; changes: FieldChange[] }
    | { kind: 'setPorts'; name: string; body: { ports: Port[] }; changes: FieldChange[] }
    | { kind: 'scaleService'; name: string; instances: number; changes: FieldChange[] }
  );

export interface ApplyPlan {
  /** In the order to perform them: what services use comes before them. */
  actions: Action[];
  /** Differences no API call can make (a volume's size, a service's type): apply refuses the file. */
  conflicts: string[];
}

/**
 * What `wharf apply` must do to make what runs match the manifest, and nothing more: every field
 * is compared as the API answers it, the manifest's read with the server's own defaults
 * (normalizeContainers, normalizePorts), so a file applied twice plans nothing the second time.
 * Absent fields mean their create default, except `minReadySeconds`, whose default is the
 * region's: absent, it is left as it is. Services, ConfigMaps and volumes the file does not name
 * are left alone.
 */
export function planApply(manifest: Manifest, live: LiveState): ApplyPlan {
  const plan: ApplyPlan = { actions: [], conflicts: [] };
  manifest.configMaps?.forEach((configMap, index) => planConfigMap(plan, configMap, live.configMaps, `configMaps[${index}]`));
  manifest.volumes?.forEach((volume, index) => planVolume(plan, volume, live.volumes, `volumes[${index}]`));
  const app = manifest.app.name;
  if (!live.app) plan.actions.push({ kind: 'createApp', name: app, body: { name: app }, source: 'app' });
  manifest.app.microservices?.forEach((service, index) => {
    const source = `app.microservices[${index}]`;
    const running = live.app?.microservices.find((candidate) => candidate.name === service.name);
    if (running) planService(plan, service, running, source);
    else plan.actions.push({ kind: 'createService', name: service.name, body: service, source });
  });
  return plan;
}

function planConfigMap(plan: ApplyPlan, wanted: ConfigMapCreate, existing: ConfigMap[], source: string): void {
  const running = existing.find((candidate) => candidate.name === wanted.name);
  if (!running) {
    plan.actions.push({ kind: 'createConfigMap', name: wanted.name, body: wanted, source });
  } else if (running.deleting) {
    plan.conflicts.push(`configmap ${wanted.name} is being deleted: apply again once it is gone`);
  } else if (!isDeepStrictEqual(running.data, wanted.data)) {
    const keys = [...new Set([...Object.keys(running.data), ...Object.keys(wanted.data)])].sort();
    const changes = keys.flatMap((key) => (running.data[key] === wanted.data[key] ? [] : [{ field: `data.${key}`, from: running.data[key], to: wanted.data[key] }]));
    plan.actions.push({ kind: 'updateConfigMap', name: wanted.name, body: { data: wanted.data }, changes, source });
  }
}

/** A volume is created or left: the API changes nothing of one, so any other difference is a conflict. */
function planVolume(plan: ApplyPlan, wanted: VolumeCreate, existing: Volume[], source: string): void {
  const running = existing.find((candidate) => candidate.name === wanted.name);
  if (!running) {
    plan.actions.push({ kind: 'createVolume', name: wanted.name, body: wanted, source });
    return;
  }
  if (running.deleting) {
    plan.conflicts.push(`volume ${wanted.name} is being deleted: apply again once it is gone`);
    return;
  }
  const differing = (['size', 'storageType', 'fsType'] as const).filter((field) => wanted[field] !== undefined && wanted[field] !== running[field]);
  for (const field of differing) {
    plan.conflicts.push(`volume ${wanted.name}: ${field} is ${JSON.stringify(running[field])}, the file says ${JSON.stringify(wanted[field])}; a volume's ${field} cannot change`);
  }
}

/** The instanceNumber of a create that gives none: ServiceCreate's default. */
export const DEFAULT_INSTANCES = (ServiceCreate.properties.instanceNumber as unknown as { default: number }).default;

function planService(plan: ApplyPlan, wanted: ServiceCreate, running: Service, source: string): void {
  const { name } = wanted;
  if (wanted.type !== running.type) {
    plan.conflicts.push(`service ${running.appName}/${name} is ${running.type}, the file says ${wanted.type}: the type cannot change (delete the service, then apply)`);
    return;
  }
  const upgrade = upgradeOf(wanted, running);
  if (upgrade) plan.actions.push({ kind: 'upgradeService', name, ...upgrade, source });

  const ports = normalizePorts(wanted.ports ?? []);
  if (!isDeepStrictEqual(ports, running.ports)) {
    plan.actions.push({ kind: 'setPorts', name, body: { ports }, changes: [{ field: 'ports', from: running.ports, to: ports }], source });
  }
  const instances = wanted.instanceNumber ?? DEFAULT_INSTANCES;
  if (instances !== running.instanceNumber) {
    plan.actions.push({ kind: 'scaleService', name, instances, changes: [{ field: 'instanceNumber', from: running.instanceNumber, to: instances }], source });
  }
}

/** The upgrade that brings the template and rollout settings to the file's, or undefined when they match. */
function upgradeOf(wanted: ServiceCreate, running: Service): { body: ServiceUpgrade; newRevision: number | undefined; changes: FieldChange[] } | undefined {
  const desired = templateOf(wanted.resourceSpec, normalizeContainers(wanted.containers), gpusOf(wanted.gpuSpec));
  const current = templateOf(running.resourceSpec, running.containers, running.gpuSpec);
  const body: ServiceUpgrade = {};
  const changes: FieldChange[] = [];
  const templateChanges = templateHash(desired) === templateHash(current) ? [] : templateDiff(current, desired);
  if (templateChanges.length > 0) {
    changes.push(...templateChanges);
    // The whole template: an upgrade keeps what it leaves out, and the file leaves out only what should be absent.
    body.resourceSpec = desired.resourceSpec;
    body.containers = desired.containers.map((container) => asPatch(container, current.containers.find((old) => old.name === container.name)));
    if (desired.gpuSpec || current.gpuSpec) body.gpuSpec = desired.gpuSpec ?? { type: '', number: 0 };
  }
  const settings = {
    minReadySeconds: wanted.minReadySeconds ?? running.minReadySeconds,
    progressDeadlineSeconds: wanted.progressDeadlineSeconds ?? DEFAULT_ROLLOUT_SETTINGS.progressDeadlineSeconds,
    autoRollback: wanted.autoRollback ?? DEFAULT_ROLLOUT_SETTINGS.autoRollback,
  };
  for (const field of ['minReadySeconds', 'progressDeadlineSeconds', 'autoRollback'] as const) {
    if (settings[field] === running[field]) continue;
    Object.assign(body, { [field]: settings[field] });
    changes.push({ field, from: running[field], to: settings[field] });
  }
  if (changes.length === 0) return undefined;
  return { body, newRevision: templateChanges.length > 0 ? running.revision + 1 : undefined, changes };
}

function templateOf(resourceSpec: string, containers: Container[], gpuSpec: Template['gpuSpec']): Template {
  return gpuSpec ? { resourceSpec, containers, gpuSpec } : { resourceSpec, containers };
}

/** A container of an upgrade that ends as `container`: a probe the old one has and this one lacks is sent as {}, which removes it. */
function asPatch(container: Container, old: Container | undefined): ContainerPatch {
  const removed = PROBE_KINDS.filter((kind) => old?.[kind] && !container[kind]);
  // From a checked file: each env type is one the input allows, though Container types it as any string.
  return { ...container, ...Object.fromEntries(removed.map((kind) => [kind, {}])) } as ContainerPatch;
}

/** Which fields of the template change: per container (by name), the order of the containers, the spec and GPUs. */
function templateDiff(from: Template, to: Template): FieldChange[] {
  const changes: FieldChange[] = [];
  if (from.resourceSpec !== to.resourceSpec) changes.push({ field: 'resourceSpec', from: from.resourceSpec, to: to.resourceSpec });
  if (!isDeepStrictEqual(from.gpuSpec, to.gpuSpec)) changes.push({ field: 'gpuSpec', from: from.gpuSpec, to: to.gpuSpec });
  for (const container of to.containers) {
    const old = from.containers.find((candidate) => candidate.name === container.name);
    if (!old) {
      changes.push({ field: `containers[${container.name}]`, from: undefined, to: container });
      continue;
    }
    const fields = [...new Set([...Object.keys(old), ...Object.keys(container)])] as (keyof Container)[];
    for (const field of fields) {
      if (!isDeepStrictEqual(old[field], container[field])) changes.push({ field: `containers[${container.name}].${field}`, from: old[field], to: container[field] });
    }
  }
  for (const old of from.containers) {
    if (!to.containers.some((container) => container.name === old.name)) changes.push({ field: `containers[${old.name}]`, from: old, to: undefined });
  }
  const kept = (containers: Container[], other: Container[]): string[] =>
    containers.filter((container) => other.some((candidate) => candidate.name === container.name)).map((container) => container.name);
  const order = { from: kept(from.containers, to.containers), to: kept(to.containers, from.containers) };
  if (!isDeepStrictEqual(order.from, order.to)) changes.push({ field: 'containers (order)', ...order });
  return changes;
}
