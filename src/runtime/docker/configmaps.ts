import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Container } from '../../model/container.js';
import { parseConfigMapRef } from '../../domain/validation.js';
import type { ConfigMapContent } from '../../domain/pod-inputs.js';

/** A ConfigMap a pod reads: its data, for envs, and the host directory holding one file per key, for mounts. */
export interface PodConfigMap {
  data: Record<string, string>;
  hostDir: string;
}

export type PodConfigMaps = ReadonlyMap<string, PodConfigMap>;

/**
 * Writes a ConfigMap's files into `<dir>/<digest>/`, one file per key, unless they are there.
 * A directory per content, written aside and renamed into place, so a running pod's files never
 * change under it and a half-written directory is never mounted.
 */
export async function writeConfigMapFiles(dir: string, content: ConfigMapContent): Promise<string> {
  const target = join(dir, content.digest);
  if (await exists(target)) return target;
  const staging = join(dir, `.staging-${randomBytes(6).toString('hex')}`);
  await mkdir(staging, { recursive: true, mode: 0o755 });
  try {
    // Keys match ^[-._a-zA-Z0-9]+$ and are neither "." nor "..": each is one file name inside the directory.
    for (const [key, value] of Object.entries(content.data)) await writeFile(join(staging, key), value, { mode: 0o444 });
    await rename(staging, target);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    // Another pod's creation wrote the same content first.
    if (!(await exists(target))) throw error;
  }
  return target;
}

/** `NAME=value` for each env of the container, ConfigMap references resolved. */
export function containerEnv(container: Container, configMaps: PodConfigMaps): string[] {
  return container.envs.map((env) => {
    const ref = env.type === 'configMap' ? parseConfigMapRef(env.value) : undefined;
    return `${env.name}=${ref ? configMaps.get(ref.configMap)!.data[ref.key] : env.value}`;
  });
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}
