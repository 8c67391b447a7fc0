import { createHash } from 'node:crypto';
import type { ServiceType } from '../../model/service.js';
import { workloadBaseName, type ServiceKey } from '../../domain/keys.js';
import { safeEncode } from '../../domain/template.js';

/** Labels on every object Wharf applies; pods carry them through the workload's pod template. */
export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  project: 'wharf.io/project',
  app: 'wharf.io/app',
  service: 'wharf.io/service',
  serviceUid: 'wharf.io/service-uid',
} as const;

export const ANNOTATIONS = {
  revision: 'wharf.io/revision',
  templateHash: 'wharf.io/template-hash',
  /** On the workload: the ports its Service was applied with (`80/TCP,8080/UDP`), so a change is seen without watching Services. */
  ports: 'wharf.io/ports',
} as const;

export const FIELD_MANAGER = 'wharf';

/** Selects everything Wharf manages, in every namespace: what the watches list. */
export const MANAGED_SELECTOR = `${LABELS.managedBy}=${FIELD_MANAGER}`;

/** On every object of a project, its namespace included. */
export function projectLabels(project: string): Record<string, string> {
  return { [LABELS.managedBy]: FIELD_MANAGER, [LABELS.project]: project };
}

export function namespaceName(prefix: string, project: string): string {
  return prefix + project;
}

/** Selects one service's objects inside its project's namespace (a V2 service's `wharf.io/app=` matches the empty value). */
export function serviceSelector(key: ServiceKey): string {
  return `${LABELS.app}=${key.app},${LABELS.service}=${key.service}`;
}

/**
 * The ClusterIP Service's name, the workload's base name (`<app>-<service>`, a V2 service's
 * `<service>`), so its address is `<name>.<namespace>.svc.cluster.local`.
 */
export function serviceName(key: ServiceKey): string {
  return workloadBaseName(key);
}

// A StatefulSet's pods carry the label `controller-revision-hash: <name>-<hash>`, and a label
// value holds 63 characters, so Kubernetes' own tools keep StatefulSet names to 52.
const MAX_STATEFULSET_NAME = 52;

/** The Service's name; a StatefulSet name too long for its pods' labels is cut and made unique by a hash. */
export function workloadName(key: ServiceKey, type: ServiceType): string {
  const name = serviceName(key);
  if (type === 'stateless' || name.length <= MAX_STATEFULSET_NAME) return name;
  const hash = safeEncode(createHash('sha256').update(name).digest(), 5);
  return `${name.slice(0, MAX_STATEFULSET_NAME - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}

/** The service an object belongs to, from its labels; undefined for an object of another Wharf or namespace prefix. */
export function keyOfObject(
  region: string,
  namespacePrefix: string,
  metadata: { namespace?: string; labels?: Record<string, string> } | undefined,
): ServiceKey | undefined {
  const labels = metadata?.labels ?? {};
  const project = labels[LABELS.project];
  const app = labels[LABELS.app];
  const service = labels[LABELS.service];
  // A V2 service's app label is present and empty (keys.ts V2_APP).
  if (!project || app === undefined || !service) return undefined;
  if (metadata?.namespace !== namespaceName(namespacePrefix, project)) return undefined;
  return { region, project, app, service };
}
