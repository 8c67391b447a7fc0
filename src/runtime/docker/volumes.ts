import type Docker from 'dockerode';
import { volumeConflict, volumeLabels, volumeName, type Owner } from './labels.js';

/** The named volume exists but was made for another region, project, volume or Wharf instance. */
export class VolumeConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VolumeConflictError';
  }
}

/** The Docker volume driver of a storage type, and its options. */
export interface VolumeDriver {
  driver: string;
  driverOpts?: Record<string, string>;
}

/**
 * A stateful service's named volume, created on first use with Wharf's labels (Docker would
 * create it unlabelled when mounted) and its storage type's driver (absent: Docker's `local`),
 * and returns its name. Creating an existing volume returns it
 * unchanged, with its first creator's labels: they are checked after the create, so a volume
 * someone else made is never mounted, even when two creations race. Only a DELETE of the volume
 * through the API removes one (DockerRuntime.deleteVolume).
 */
export async function ensureVolume(docker: Docker, owner: Owner, project: string, volume: string, driver?: VolumeDriver): Promise<string> {
  const name = volumeName(owner.region, project, volume);
  const withDriver = driver ? { Driver: driver.driver, DriverOpts: driver.driverOpts ?? {} } : {};
  await docker.createVolume({ Name: name, Labels: volumeLabels(owner, project, volume), ...withDriver });
  await checkVolumeOwner(docker, owner, project, volume);
  return name;
}

/** Throws VolumeConflictError unless the existing volume is this owner's; `docker` errors (404 included) pass through. */
export async function checkVolumeOwner(docker: Docker, owner: Owner, project: string, volume: string): Promise<void> {
  const name = volumeName(owner.region, project, volume);
  const { Labels } = await docker.getVolume(name).inspect();
  const conflict = volumeConflict(name, Labels, owner, project, volume);
  if (conflict) throw new VolumeConflictError(conflict);
}
