// A container of a microservice's template: as a client writes it, as Wharf keeps it, and as an upgrade changes it.
import { Type, type Static } from 'typebox';
import { NAME_PATTERNS, ReferenceName } from './names.js';
import { PROBE_KINDS, Probe, ProbeInput, type ProbeKind } from './probe.js';
import { StringEnum, ZERO_IS_ABSENT } from './schema-helpers.js';

// Limits are the seed's "长度上限" and DESIGN.md §3's.
const AbsolutePath = Type.String({ minLength: 1, maxLength: 1024, pattern: '^/' });

export const VolumeMount = Type.Object(
  {
    volumeName: ReferenceName,
    readOnly: Type.Optional(Type.Boolean({ description: 'defaults to true (the seed: 默认为只读)' })),
    mountPath: AbsolutePath,
  },
  { additionalProperties: false },
);

export const ConfigMount = Type.Object(
  { configMapName: ReferenceName, mountPath: AbsolutePath },
  { additionalProperties: false },
);

export const Env = Type.Object(
  {
    type: Type.Optional(StringEnum(['', 'configMap'])),
    name: Type.String({ minLength: 1, maxLength: 1024, pattern: '^[-._a-zA-Z][-._a-zA-Z0-9]*$' }),
    value: Type.String({ maxLength: 1024, description: 'with type configMap: <configMapName>.<key>' }),
  },
  { additionalProperties: false },
);

const Strings = Type.Array(Type.String({ maxLength: 4096 }), { maxItems: 256 });

/** A container as a client sends it: everything but the image may be left out. */
export const ContainerInput = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 32, pattern: NAME_PATTERNS.container })),
    image: Type.String({ minLength: 1, maxLength: 1024, pattern: '^[^\\s]+$' }),
    workingDir: Type.Optional(Type.Union([Type.Literal(''), AbsolutePath])),
    command: Type.Optional(Strings),
    args: Type.Optional(Strings),
    volumeMounts: Type.Optional(Type.Array(VolumeMount, { maxItems: 32 })),
    configs: Type.Optional(Type.Array(ConfigMount, { maxItems: 32 })),
    envs: Type.Optional(Type.Array(Env, { maxItems: 100 })),
    readinessProbe: Type.Optional({ ...ProbeInput, description: 'the pod takes no traffic and does not count as available while it fails' }),
    livenessProbe: Type.Optional({ ...ProbeInput, description: 'the engine restarts the container when it fails' }),
    startupProbe: Type.Optional({ ...ProbeInput, description: 'until it succeeds the other probes wait; when it fails the engine restarts the container' }),
  },
  { additionalProperties: false },
);
export type ContainerInput = Static<typeof ContainerInput>;
export const ContainerInputs = Type.Array(ContainerInput, { minItems: 1, maxItems: 10 });

/** A container as Wharf stores and returns it: every field present (DESIGN.md §3). */
export const Container = Type.Object(
  {
    name: Type.String(),
    image: Type.String(),
    workingDir: Type.String(),
    command: Type.Array(Type.String()),
    args: Type.Array(Type.String()),
    volumeMounts: Type.Array(
      Type.Object({ volumeName: Type.String(), readOnly: Type.Boolean(), mountPath: Type.String() }),
    ),
    configs: Type.Array(Type.Object({ configMapName: Type.String(), mountPath: Type.String() })),
    envs: Type.Array(Type.Object({ type: Type.String(), name: Type.String(), value: Type.String() })),
    readinessProbe: Type.Optional(Probe),
    livenessProbe: Type.Optional(Probe),
    startupProbe: Type.Optional(Probe),
  },
);
export type Container = Static<typeof Container>;

/**
 * A container in an upgrade: merged by name into the current one, whose fields it keeps where this
 * leaves them absent or null (an empty workingDir too: Go clients send an unset one so).
 */
export const ContainerPatch = Type.Object(
  {
    ...ContainerInput.properties,
    image: Type.Optional({ ...ContainerInput.properties.image, [ZERO_IS_ABSENT]: true }),
    workingDir: Type.Optional(Type.Union([Type.Literal(''), AbsolutePath], { [ZERO_IS_ABSENT]: true })),
    ...Object.fromEntries(
      PROBE_KINDS.map((kind) => [kind, Type.Optional({ ...ProbeInput, description: `${ContainerInput.properties[kind].description}; absent or null: kept; {}: removed` })]),
    ) as Pick<typeof ContainerInput.properties, ProbeKind>,
  },
  { additionalProperties: false },
);
export type ContainerPatch = Static<typeof ContainerPatch>;
