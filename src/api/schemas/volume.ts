import { Type, type Static } from 'typebox';
import { FS_TYPES, type FsType } from '../../domain/volumes.js';
import { OUTPUT_ONLY, ZERO_IS_ABSENT } from '../../model/schema-helpers.js';
import { Deletion } from './common.js';
import { ProjectName, RegionName } from '../../model/names.js';
import { StringEnum } from '../../model/schema-helpers.js';
import { ReferenceName } from '../../model/names.js';

const STORAGE_TYPE = 'one of the region\'s storage types (GET .../storagetypes)';
const VolumeStatus = StringEnum(['creating', 'success', 'error', 'deleting'], {
  description: 'what the engine has of the volume; deleting: a DELETE was accepted and the controller is removing it',
});

export const VolumeCreate = Type.Object(
  {
    name: ReferenceName,
    size: Type.Integer({ minimum: 1, maximum: 65536, description: 'GiB' }),
    // "" is how the KE Go SDK sends an unset field: the default.
    storageType: Type.Optional(Type.String({ maxLength: 63, [ZERO_IS_ABSENT]: true, description: `${STORAGE_TYPE}; default: the first` })),
    fsType: Type.Optional(
      Type.Unsafe<FsType>({ type: 'string', enum: [...FS_TYPES], [ZERO_IS_ABSENT]: true, description: 'default, and the only one accepted: the storage type\'s' }),
    ),
  },
  { additionalProperties: false, [OUTPUT_ONLY]: ['projectName', 'status', 'statusMessage', 'creationTime', 'mountedBy', 'deleting'] },
);
export type VolumeCreate = Static<typeof VolumeCreate>;

export const StorageType = Type.Object({ type: Type.String(), desc: Type.String(), iops: Type.String() });
export type StorageType = Static<typeof StorageType>;

export const Volume = Type.Object({
  name: Type.String(),
  projectName: Type.String(),
  size: Type.Integer({ description: 'GiB' }),
  storageType: Type.String({ description: STORAGE_TYPE }),
  fsType: StringEnum([...FS_TYPES], { description: 'the filesystem its storage type provides' }),
  status: VolumeStatus,
  statusMessage: Type.String({
    description: 'why the engine refused the volume when status is error, or has not removed it yet when status is deleting; otherwise empty',
  }),
  creationTime: Type.String({ format: 'date-time' }),
  mountedBy: Type.Array(Type.Object({ appName: Type.String(), name: Type.String() }), {
    description: 'the microservices that mount it; it cannot be deleted while any does',
  }),
  deleting: Type.Optional(Deletion),
});
export type Volume = Static<typeof Volume>;

export const VolumeParams = Type.Object({ region: RegionName, project: ProjectName, name: ReferenceName });
