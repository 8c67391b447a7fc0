import { Type, type Static } from 'typebox';
import { OUTPUT_ONLY, ZERO_IS_ABSENT } from '../../model/schema-helpers.js';
import { Deletion } from './common.js';
import { ProjectName, RegionName } from '../../model/names.js';
import { ReferenceName } from '../../model/names.js';

/** Keys as Kubernetes allows them in a ConfigMap; each becomes a file name on Docker. */
export const CONFIGMAP_KEY_PATTERN = '^[-._a-zA-Z0-9]+$';

const ConfigMapData = Type.Record(Type.String(), Type.String(), {
  propertyNames: { pattern: CONFIGMAP_KEY_PATTERN, maxLength: 253 },
  description: 'keys and values; mounted as one file per key, read by envs as <configMapName>.<key>; at most 1 MiB in all',
});

const CONFIGMAP_OUTPUT = { [OUTPUT_ONLY]: ['projectName', 'version', 'creationTime', 'updateTime', 'deleting'] };

export const ConfigMapCreate = Type.Object({ name: ReferenceName, data: ConfigMapData }, { additionalProperties: false, ...CONFIGMAP_OUTPUT });
export type ConfigMapCreate = Static<typeof ConfigMapCreate>;

/** The whole ConfigMap may be sent back: its `name`, if given, must be the path's. */
export const ConfigMapUpdate = Type.Object(
  { name: Type.Optional(Type.String({ [ZERO_IS_ABSENT]: true })), data: ConfigMapData },
  { additionalProperties: false, ...CONFIGMAP_OUTPUT },
);

export const ConfigMap = Type.Object({
  name: Type.String(),
  projectName: Type.String(),
  data: Type.Record(Type.String(), Type.String()),
  version: Type.Integer({ description: '1 at creation, one more for each update that changed the data' }),
  creationTime: Type.String({ format: 'date-time' }),
  updateTime: Type.String({ format: 'date-time' }),
  // Optional and added: the KE SDK's ConfigMap has no such field, and Go's decoder skips it.
  deleting: Type.Optional(Deletion),
});
export type ConfigMap = Static<typeof ConfigMap>;

export const ConfigMapParams = Type.Object({ region: RegionName, project: ProjectName, name: ReferenceName });
