import type { Container } from '../api/schemas/microservice.js';
import type { ServiceState } from './service.js';

/** A volume of a project. Its data outlives every service that mounts it. */
export interface VolumeRecord {
  name: string;
  project: string;
  sizeGi: number;
  creationTime: string;
}

/** The size of a volume created because a service mounts it before it exists, unless the region says otherwise. */
export const DEFAULT_VOLUME_SIZE_GI = 10;

export function volumeNames(containers: Container[]): string[] {
  return [...new Set(containers.flatMap((container) => container.volumeMounts.map((mount) => mount.volumeName)))];
}

export function mountsVolume(state: ServiceState, name: string): boolean {
  return volumeNames(state.containers).includes(name);
}
