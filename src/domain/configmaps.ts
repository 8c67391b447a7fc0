import { createHash } from 'node:crypto';
import type { DeletionState } from './deletion.js';
import { invalidArgs } from './errors.js';
import type { DesiredService, ServiceState } from './service.js';
import { configMapNames, safeEncode } from './template.js';

/** A ConfigMap of a project: keys and values that services mount as files or read as envs. */
export interface ConfigMapRecord {
  name: string;
  project: string;
  data: Record<string, string>;
  /** Counts the changes of the data: 1 at creation. */
  version: number;
  /** A hash of the data: what pods are rolled on, and the name of its files' directory on Docker. */
  digest: string;
  creationTime: string;
  updateTime: string;
  /** Set once a DELETE was accepted, until the controller has removed it from the engine. */
  deleting?: DeletionState;
}

/** The seed's limit for a JSON body, and Kubernetes' for a ConfigMap. */
export const MAX_CONFIGMAP_BYTES = 1024 * 1024;

export function checkConfigMapData(data: Record<string, string>): void {
  // Each key becomes a file name: "." and ".." would name the directory itself or its parent.
  const dots = Object.keys(data).find((key) => key === '.' || key === '..');
  if (dots !== undefined) throw invalidArgs(`data key "${dots}" is not allowed: a key names a file`);
  const bytes = Object.entries(data).reduce((sum, [key, value]) => sum + Buffer.byteLength(key) + Buffer.byteLength(value), 0);
  if (bytes > MAX_CONFIGMAP_BYTES) throw invalidArgs(`data holds ${bytes} bytes of keys and values; at most ${MAX_CONFIGMAP_BYTES} are allowed`);
}

/** A stable hash of the data, whatever the key order. */
export function configMapDigest(data: Record<string, string>): string {
  const sorted = Object.keys(data).sort().map((key) => [key, data[key]]);
  return safeEncode(createHash('sha256').update(JSON.stringify(sorted)).digest(), 10);
}

/** The digests of a project's ConfigMaps by name. */
export type ConfigMapDigests = ReadonlyMap<string, string>;

/**
 * The hash the pods of a service carry. It is the revision's template hash when the template reads
 * no ConfigMap; otherwise it also covers the content of each ConfigMap read (or its absence), so a
 * changed ConfigMap makes every pod outdated and the ordinary rollout replaces them: new values go
 * live without a new revision, and a pod waiting for a missing ConfigMap is replaced once it exists.
 */
export function podTemplateHash(state: ServiceState, digests: ConfigMapDigests): string {
  const names = configMapNames(state.containers).sort();
  if (names.length === 0) return state.templateHash;
  const contents = names.map((name) => [name, digests.get(name) ?? null]);
  return safeEncode(createHash('sha256').update(JSON.stringify([state.templateHash, contents])).digest(), 10);
}

export function withPodTemplateHash(state: ServiceState, digests: ConfigMapDigests): DesiredService {
  return { ...state, podTemplateHash: podTemplateHash(state, digests) };
}

export function readsConfigMap(state: ServiceState, name: string): boolean {
  return configMapNames(state.containers).includes(name);
}
