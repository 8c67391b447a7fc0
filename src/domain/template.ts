import { createHash } from 'node:crypto';
import type { Container, ContainerInput } from '../model/container.js';
import type { GpuSpec } from '../model/service.js';
import { normalizeProbes } from './probes.js';
import { parseConfigMapRef } from './validation.js';

/** What a revision fixes: the pods' resource spec, GPUs and containers. Ports and replicas are not part of it. */
export interface Template {
  resourceSpec: string;
  containers: Container[];
  /** Absent: no GPU. Such a template hashes as it did before GPUs existed: no pod is replaced for them. */
  gpuSpec?: GpuSpec;
}

/** Fills every optional container field, so equal templates compare and hash equal. */
export function normalizeContainers(inputs: ContainerInput[]): Container[] {
  return inputs.map((input, index) => ({
    name: input.name ?? `container-${index}`,
    image: input.image,
    workingDir: input.workingDir ?? '',
    command: input.command ?? [],
    args: input.args ?? [],
    volumeMounts: (input.volumeMounts ?? []).map((mount) => ({
      volumeName: mount.volumeName,
      readOnly: mount.readOnly ?? true,
      mountPath: mount.mountPath,
    })),
    configs: (input.configs ?? []).map((config) => ({
      configMapName: config.configMapName,
      mountPath: config.mountPath,
    })),
    envs: (input.envs ?? []).map((env) => ({ type: env.type ?? '', name: env.name, value: env.value })),
    // Absent unless given: a container without probes hashes as it did before probes existed.
    ...normalizeProbes(input),
  }));
}

/** The ConfigMaps a pod needs before it can start: those its containers mount or read envs from. */
export function configMapNames(containers: Container[]): string[] {
  const names = containers.flatMap((container) => [
    ...container.configs.map((config) => config.configMapName),
    ...container.envs.flatMap((env) => (env.type === 'configMap' ? [parseConfigMapRef(env.value)?.configMap ?? env.value] : [])),
  ]);
  return [...new Set(names)];
}

// Kubernetes' pod-template-hash alphabet: no vowels, so a hash never spells a word.
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function safeEncode(bytes: Uint8Array, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += SAFE_ALPHABET[bytes[i % bytes.length]! % SAFE_ALPHABET.length];
  return text;
}

/** A stable 10-character hash of a template; pods carry it to tell old from new. */
export function templateHash(template: Template): string {
  const digest = createHash('sha256').update(JSON.stringify(canonical(template))).digest();
  return safeEncode(digest, 10);
}

// JSON with sorted object keys, so key order in a request never changes the hash.
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, inner]) => [key, canonical(inner)]),
    );
  }
  return value;
}
