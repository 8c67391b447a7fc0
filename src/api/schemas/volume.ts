import { Type, type Static } from 'typebox';
import { OUTPUT_ONLY } from '../tolerant-reading.js';
import { ProjectName, RegionName } from './common.js';
import { ReferenceName } from './microservice.js';

export const VolumeCreate = Type.Object(
  { name: ReferenceName, size: Type.Integer({ minimum: 1, maximum: 65536, description: 'GiB' }) },
  { additionalProperties: false, [OUTPUT_ONLY]: ['projectName', 'creationTime', 'mountedBy'] },
);
export type VolumeCreate = Static<typeof VolumeCreate>;

export const Volume = Type.Object({
  name: Type.String(),
  projectName: Type.String(),
  size: Type.Integer({ description: 'GiB' }),
  creationTime: Type.String({ format: 'date-time' }),
  mountedBy: Type.Array(Type.Object({ appName: Type.String(), name: Type.String() }), {
    description: 'the microservices that mount it; it cannot be deleted while any does',
  }),
});
export type Volume = Static<typeof Volume>;

export const VolumeParams = Type.Object({ region: RegionName, project: ProjectName, name: ReferenceName });
