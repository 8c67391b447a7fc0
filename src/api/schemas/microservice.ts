import { Type, type Static } from 'typebox';
import { OUTPUT_ONLY, ZERO_IS_ABSENT } from '../tolerant-reading.js';
import { NAME_PATTERNS, ServiceName, StringEnum } from './common.js';

// Limits are the seed's "长度上限" and DESIGN.md §3's. ReferenceName: a volume's or ConfigMap's name.
const AbsolutePath = Type.String({ minLength: 1, maxLength: 1024, pattern: '^/' });
export const ReferenceName = Type.String({ minLength: 1, maxLength: 64, pattern: NAME_PATTERNS.reference });

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

const ProbePort = Type.Integer({ minimum: 1, maximum: 65535, description: "a port of the pod (the container's own network namespace)" });
const seconds = (minimum: number, kubernetesDefault: number, what: string) =>
  Type.Optional(Type.Integer({ minimum, maximum: 3600, description: `${what}; default ${kubernetesDefault}` }));
const times = (kubernetesDefault: number, what: string) =>
  Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: `${what}; default ${kubernetesDefault}` }));

/**
 * A health check, with Kubernetes' names and defaults so that one vocabulary serves every runtime:
 * exactly one of httpGet, tcpSocket and exec (domain/probes.ts checks that and the rest).
 */
export const ProbeInput = Type.Object(
  {
    httpGet: Type.Optional(
      Type.Object(
        {
          path: Type.Optional(Type.String({ maxLength: 1024, pattern: '^/', description: 'default /' })),
          port: ProbePort,
          scheme: Type.Optional(StringEnum(['HTTP', 'HTTPS'], { description: 'default HTTP; HTTPS does not verify the certificate, as the kubelet does not' })),
          httpHeaders: Type.Optional(
            Type.Array(
              Type.Object(
                { name: Type.String({ minLength: 1, maxLength: 256, pattern: "^[-!#$%&'*+.^_`|~0-9A-Za-z]+$" }), value: Type.String({ maxLength: 4096 }) },
                { additionalProperties: false },
              ),
              { maxItems: 20 },
            ),
          ),
        },
        { additionalProperties: false, description: 'healthy: an answer from 200 to 399' },
      ),
    ),
    tcpSocket: Type.Optional(Type.Object({ port: ProbePort }, { additionalProperties: false, description: 'healthy: the port accepts a connection' })),
    exec: Type.Optional(
      Type.Object(
        { command: Type.Array(Type.String({ maxLength: 4096 }), { minItems: 1, maxItems: 256 }) },
        { additionalProperties: false, description: 'healthy: the command, run in the container without a shell, exits 0' },
      ),
    ),
    initialDelaySeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600, description: 'seconds after the container starts before the first probe; default 0' })),
    periodSeconds: seconds(1, 10, 'seconds between probes'),
    timeoutSeconds: seconds(1, 1, 'seconds a probe may take before it counts as failed'),
    successThreshold: times(1, 'consecutive successes after a failure to count as healthy; must be 1 for liveness and startup probes'),
    failureThreshold: times(3, 'consecutive failures to count as unhealthy'),
  },
  { additionalProperties: false },
);
export type ProbeInput = Static<typeof ProbeInput>;

/** A probe as Wharf stores and returns it: every setting present, one handler. */
export const Probe = Type.Object({
  httpGet: Type.Optional(
    Type.Object({
      path: Type.String(),
      port: Type.Integer(),
      scheme: StringEnum(['HTTP', 'HTTPS']),
      httpHeaders: Type.Array(Type.Object({ name: Type.String(), value: Type.String() })),
    }),
  ),
  tcpSocket: Type.Optional(Type.Object({ port: Type.Integer() })),
  exec: Type.Optional(Type.Object({ command: Type.Array(Type.String()) })),
  initialDelaySeconds: Type.Integer(),
  periodSeconds: Type.Integer(),
  timeoutSeconds: Type.Integer(),
  successThreshold: Type.Integer(),
  failureThreshold: Type.Integer(),
});
export type Probe = Static<typeof Probe>;

export const PROBE_KINDS = ['startupProbe', 'livenessProbe', 'readinessProbe'] as const;
export type ProbeKind = (typeof PROBE_KINDS)[number];

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

export const PortsUpdate = Type.Object({ ports: Ports }, { additionalProperties: false });

export const ContainerStatus = Type.Object({
  name: Type.String(),
  state: StringEnum(['running', 'waiting', 'terminated', 'unknown']),
  reason: Type.String(),
  message: Type.String(),
  ready: Type.Boolean({ description: 'the container is running, its startup probe (if any) succeeded and its readiness probe (if any) passes' }),
  restartCount: Type.Integer({ minimum: 0, description: 'how often the engine restarted the container: after a crash or a failed liveness probe' }),
  startedAt: Type.Optional(Type.String({ format: 'date-time', description: 'when the container last started; absent while it is not running' })),
  lastState: Type.Optional(
    Type.Object(
      {
        exitCode: Type.Integer(),
        reason: Type.String({ description: 'Error, OOMKilled or Completed' }),
        finishedAt: Type.String({ format: 'date-time' }),
      },
      { description: 'how the container last ended, when it has ended since it was created' },
    ),
  ),
});
export type ContainerStatus = Static<typeof ContainerStatus>;

export const PodPhase = StringEnum(['running', 'pending', 'terminating', 'succeeded', 'failed', 'unknown'], {
  description: 'terminating: Wharf is removing the pod (a rollout replaced it, the service stopped or scaled down)',
});
export type PodPhase = Static<typeof PodPhase>;

export const Pod = Type.Object(
  {
    name: Type.String(),
    status: Type.Object({ phase: PodPhase, reason: Type.String(), message: Type.String() }),
    containerStatuses: Type.Array(ContainerStatus),
    revision: Type.Integer({ description: 'the service revision this pod runs' }),
    ready: Type.Boolean({ description: 'every container running; the pod counts as available once they have run minReadySeconds without a restart' }),
    creationTime: Type.String(),
    hostPorts: Type.Optional(
      Type.Array(
        Type.Object({ port: Type.Integer(), protocol: Port.properties.protocol, hostPort: Type.Integer() }),
        { description: 'ports published on the engine host (Docker runtime), to reach the pod from there' },
      ),
    ),
  },
);
export type Pod = Static<typeof Pod>;

export const ServicePhase = StringEnum(['running', 'pending', 'stopped', 'unknown']);
export type ServicePhase = Static<typeof ServicePhase>;

export const RolloutStatus = Type.Object(
  {
    revision: Type.Integer({ description: 'the revision being (or last) rolled out' }),
    state: StringEnum(['progressing', 'complete', 'failed', 'rolledBack']),
    reason: Type.String({ description: 'NewRevision, RolloutComplete, ProgressDeadlineExceeded or RolledBack' }),
    message: Type.String({ description: 'for a failed rollout: the pod that is not available and its last reason' }),
    updateTime: Type.String({ format: 'date-time' }),
  },
  { description: "the current revision's rollout; rolledBack: an automatic rollback opened this revision and it is rolling out" },
);
export type RolloutStatus = Static<typeof RolloutStatus>;

export const ServiceStatus = Type.Object({
  phase: ServicePhase,
  desire: Type.Integer(),
  current: Type.Integer(),
  updated: Type.Integer(),
  available: Type.Integer({ description: 'pods whose containers have all run minReadySeconds without a restart' }),
  unavailable: Type.Integer(),
  rollout: RolloutStatus,
});
export type ServiceStatus = Static<typeof ServiceStatus>;

export const Service = Type.Object(
  {
    name: Type.String(),
    appName: Type.String(),
    projectName: Type.String(),
    type: ServiceType,
    resourceSpec: Type.String(),
    instanceNumber: Type.Integer(),
    ports: Type.Array(Port),
    containers: Type.Array(Container),
    gpuSpec: Type.Optional({ ...GpuSpec, description: 'absent: no GPU' }),
    minReadySeconds: Type.Integer(),
    progressDeadlineSeconds: Type.Integer(),
    autoRollback: Type.Boolean(),
    status: ServiceStatus,
    pods: Type.Array(Pod),
    creationTime: Type.String({ format: 'date-time' }),
    updateTime: Type.String({ format: 'date-time' }),
    revision: Type.Integer({ description: 'the current revision' }),
  },
);
export type Service = Static<typeof Service>;

export const Revision = Type.Object(
  {
    revision: Type.Integer(),
    resourceSpec: Type.String(),
    containers: Type.Array(Container),
    gpuSpec: Type.Optional({ ...GpuSpec, description: 'absent: no GPU' }),
    creationTimestamp: Type.String({ format: 'date-time' }),
  },
);
export type Revision = Static<typeof Revision>;
