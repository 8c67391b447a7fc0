import type { Container } from '../model/container.js';
import type { DeletionState } from './deletion.js';
import { invalidArgs } from './errors.js';
import type { ServiceState } from './service.js';

/** A volume of a project. Its data outlives every service that mounts it. */
export interface VolumeRecord extends VolumeStorage {
  name: string;
  project: string;
  sizeGi: number;
  creationTime: string;
  /** Set once a DELETE was accepted, until the controller has removed it from the engine. */
  deleting?: DeletionState;
}

/** A volume as a runtime needs it to make it on the engine. */
export interface VolumeSpec {
  project: string;
  name: string;
  sizeGi: number;
  storageType: string;
}

/** What a volume is made of: one of its region's storage types, and the filesystem that type provides. */
export interface VolumeStorage {
  storageType: string;
  fsType: FsType;
}

/** The filesystems a storage type may state (the KE SDK documents `ext4`). */
export const FS_TYPES = ['ext4', 'xfs'] as const;
export type FsType = (typeof FS_TYPES)[number];
export const DEFAULT_FS_TYPE: FsType = 'ext4';

/** A storage type as the API lists it (`GET .../storagetypes`), with the filesystem its volumes have. */
export interface StorageTypeOffer {
  type: string;
  desc: string;
  iops: string;
  fsType: FsType;
}

/** The engine's view of a volume: the KE SDK's `creating`, `success`, `error`, and why when it is an error. */
export interface VolumeState {
  status: 'creating' | 'success' | 'error';
  /** Empty unless `status` is `error`. */
  message: string;
}

/** The storage of a volume that names none: the region's first type. */
export function defaultStorage(types: readonly StorageTypeOffer[]): VolumeStorage {
  const [first] = types;
  if (!first) throw new Error('a region offers at least one storage type');
  return { storageType: first.type, fsType: first.fsType };
}

/**
 * The storage a create asks for: an absent type is the region's default, an absent filesystem
 * the type's. A type may provide one filesystem only (Wharf formats nothing; on Kubernetes the
 * StorageClass decides it), so any other is refused rather than recorded and not honoured.
 */
export function requestedStorage(request: { storageType?: string; fsType?: string }, types: readonly StorageTypeOffer[]): VolumeStorage {
  const type = request.storageType === undefined ? types[0] : types.find((candidate) => candidate.type === request.storageType);
  if (!type) {
    const offered = types.map((candidate) => candidate.type).join(', ');
    throw invalidArgs(`storageType "${request.storageType}" is not offered in this region (one of: ${offered})`, 'storageType');
  }
  if (request.fsType !== undefined && request.fsType !== type.fsType) {
    throw invalidArgs(`fsType "${request.fsType}" is not available for storageType "${type.type}", whose volumes are ${type.fsType}`, 'fsType');
  }
  return { storageType: type.type, fsType: type.fsType };
}

/** The size of a volume created because a service mounts it before it exists, unless the region says otherwise. */
export const DEFAULT_VOLUME_SIZE_GI = 10;

export function volumeNames(containers: Container[]): string[] {
  return [...new Set(containers.flatMap((container) => container.volumeMounts.map((mount) => mount.volumeName)))];
}

export function mountsVolume(state: ServiceState, name: string): boolean {
  return volumeNames(state.containers).includes(name);
}
