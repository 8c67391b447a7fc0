import { Type, type Static } from 'typebox';
import { ProjectName, RegionName } from './common.js';
import { ReferenceName } from './microservice.js';

/** Keys as Kubernetes allows them in a ConfigMap; each becomes a file name on Docker. */
export const CONFIGMAP_KEY_PATTERN = '^[-._a-zA-Z0-9]+$';

const ConfigMapData = Type.Record(Type.String(), Type.String(), {
  propertyNames: { pattern: CONFIGMAP_KEY_PATTERN, maxLength: 253 },
  description: 'keys and values; mounted as one file per key, read by envs as <configMapName>.<key>; at most 1 MiB in all',
});

export const ConfigMapCreate = Type.Object({ name: ReferenceName, data: ConfigMapData }, { additionalProperties: false });
export type ConfigMapCreate = Static<typeof ConfigMapCreate>;

export const ConfigMapUpdate = Type.Object({ data: ConfigMapData }, { additionalProperties: false });

export const ConfigMap = Type.Object({
  name: Type.String(),
  projectName: Type.String(),
  data: Type.Record(Type.String(), Type.String()),
  version: Type.Integer({ description: '1 at creation, one more for each update that changed the data' }),
  creationTime: Type.String({ format: 'date-time' }),
  updateTime: Type.String({ format: 'date-time' }),
});
export type ConfigMap = Static<typeof ConfigMap>;

export const ConfigMapParams = Type.Object({ region: RegionName, project: ProjectName, name: ReferenceName });
