// A microservice's spec: its ports, GPUs and type, and the create and upgrade the domain applies.
import { Type, type Static } from 'typebox';
import { ContainerInputs, ContainerPatch } from './container.js';
import { ServiceName } from './names.js';
import { OUTPUT_ONLY, StringEnum, ZERO_IS_ABSENT } from './schema-helpers.js';

export const Port = Type.Object(
  {
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    protocol: StringEnum(['TCP', 'UDP']),
    // The KE SDK omits it when 0 and marks it omitempty: Wharf answers it only where it differs from port.
    servicePort: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 65535,
        [ZERO_IS_ABSENT]: true,
        description: 'the port the service answers on, forwarded to port; absent or 0: port itself (on output: absent unless it differs from port)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type Port = Static<typeof Port>;
export const Ports = Type.Array(Port, { maxItems: 100 });

/**
 * The most GPUs a container may ask for: the GPUs of the largest common single server (8-GPU
 * HGX/DGX nodes). A container's GPUs must all be on its node, so more could never be scheduled.
 */
const MAX_GPUS = 8;

/** GPUs as a client asks for them (the KE SDK's GPUSpec); `number: 0` means none. */
export const GpuSpecInput = Type.Object(
  {
    type: Type.String({ maxLength: 63, description: "one of the region's GPU types (config `gpus`); may be \"\" when number is 0" }),
    number: Type.Integer({
      minimum: 0,
      maximum: MAX_GPUS,
      description: `GPUs for each container of a pod, 1..${MAX_GPUS}, as the resource spec is per container; 0: no GPU`,
    }),
  },
  { additionalProperties: false },
);
export type GpuSpecInput = Static<typeof GpuSpecInput>;

/** GPUs as Wharf stores and returns them: only on a service that has some. */
export const GpuSpec = Type.Object({ type: Type.String(), number: Type.Integer() });
export type GpuSpec = Static<typeof GpuSpec>;

export const ServiceType = StringEnum(['stateful', 'stateless']);

// Rollout settings: not part of the template, so a change opens no revision. The KE SDK has none of
// them, so a 0 comes only from a client that means it: minReadySeconds 0 is 0. progressDeadlineSeconds
// cannot be 0, so there a 0 (a Go client's unset number) is read as absent.
const rolloutSettingFields = (defaults: boolean) => ({
  minReadySeconds: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 3600,
      description: `seconds every container of a pod must run without a restart before the pod counts as available${defaults ? "; default: the region's (10)" : '; absent: kept'}`,
    }),
  ),
  progressDeadlineSeconds: Type.Optional(
    Type.Integer({
      minimum: 10,
      maximum: 86400,
      [ZERO_IS_ABSENT]: true,
      description: `a rollout with no new pod available for this long fails; more than minReadySeconds${defaults ? '; default 600' : '; absent or 0: kept'}`,
    }),
  ),
  autoRollback: Type.Optional(
    Type.Boolean({ description: `on a failed rollout, roll back to the last revision whose rollout completed${defaults ? '; default false' : '; absent: kept'}` }),
  ),
});
export type ServiceType = Static<typeof ServiceType>;

export const ServiceCreate = Type.Object(
  {
    name: ServiceName,
    type: ServiceType,
    resourceSpec: Type.String({ minLength: 1, maxLength: 16 }),
    instanceNumber: Type.Optional(Type.Integer({ minimum: 1, maximum: 9999, default: 1, [ZERO_IS_ABSENT]: true })),
    ports: Type.Optional(Ports),
    containers: ContainerInputs,
    gpuSpec: Type.Optional(GpuSpecInput),
    ...rolloutSettingFields(true),
    // The seed's output carries these; a client may send an object back as it got it.
    appName: Type.Optional(Type.String({ [ZERO_IS_ABSENT]: true, description: 'if given, the app of the path' })),
    projectName: Type.Optional(Type.String({ [ZERO_IS_ABSENT]: true, description: 'if given, the project of the path' })),
  },
  { additionalProperties: false, [OUTPUT_ONLY]: ['status', 'pods', 'creationTime', 'updateTime', 'revision'] },
);
export type ServiceCreate = Static<typeof ServiceCreate>;

export const ServiceUpgrade = Type.Object(
  {
    resourceSpec: Type.Optional(Type.String({ minLength: 1, maxLength: 16, [ZERO_IS_ABSENT]: true, description: 'absent, null or "": kept' })),
    containers: Type.Optional(
      Type.Array(ContainerPatch, {
        minItems: 1,
        maxItems: 10,
        description:
          'the new list of containers, in its order, merged by name: a listed container keeps every field left absent or null ([] clears a list); ' +
          'a name the service lacks is a new container and needs an image; a container not listed is removed; absent or null: all kept',
      }),
    ),
    gpuSpec: Type.Optional({
      ...GpuSpecInput,
      description: 'replaces the GPUs as a whole; number 0 removes them; absent or null: kept',
    }),
    ...rolloutSettingFields(false),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type ServiceUpgrade = Static<typeof ServiceUpgrade>;
