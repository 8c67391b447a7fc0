import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { hostname } from 'node:os';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { parse as parseYaml } from 'yaml';
import { QuotaLimits } from './model/quota.js';
import { FIELD_VALIDATIONS, type FieldValidation } from './api/tolerant-reading.js';
import type { GpuType } from './domain/validation.js';
import { DEFAULT_EVENT_RETENTION, type EventRetention } from './store/events.js';
import { DEFAULT_FS_TYPE, FS_TYPES, type FsType, type StorageTypeOffer } from './domain/volumes.js';

const ResourceSpecConfig = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 16 }),
    cpu: Type.Number({ exclusiveMinimum: 0 }),
    memory: Type.Integer({ minimum: 4 }),
    desc: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

const StorageTypeConfig = Type.Object(
  {
    /** A volume's `storageType`; a StorageClass name fits. */
    type: Type.String({ minLength: 1, maxLength: 63, pattern: '^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$' }),
    desc: Type.Optional(Type.String()),
    /** Shown as written: the SDK types it a string (`3000`, `up to 16000`). */
    iops: Type.Optional(Type.String()),
    /** The filesystem this type's volumes have: Wharf formats nothing, the operator states it. */
    fsType: Type.Optional(Type.Unsafe<FsType>({ type: 'string', enum: [...FS_TYPES] })),
    docker: Type.Optional(
      Type.Object(
        { driver: Type.String({ minLength: 1 }), driverOpts: Type.Optional(Type.Record(Type.String(), Type.String())) },
        { additionalProperties: false },
      ),
    ),
    kubernetes: Type.Optional(Type.Object({ storageClass: Type.String({ minLength: 1 }) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

const GpuConfig = Type.Object(
  {
    /** A service's `gpuSpec.type`. */
    type: Type.String({ minLength: 1, maxLength: 63, pattern: '^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$' }),
    docker: Type.Optional(
      Type.Object(
        {
          driver: Type.Optional(Type.String({ minLength: 1 })),
          capabilities: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    kubernetes: Type.Optional(
      Type.Object(
        {
          resource: Type.Optional(Type.String({ pattern: '^([a-z0-9.-]{1,253}/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$' })),
          nodeSelector: Type.Optional(Type.Record(Type.String(), Type.String())),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const RegionConfig = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 63, pattern: '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$' }),
    runtime: Type.Union([Type.Literal('auto'), Type.Literal('simulated'), Type.Literal('docker'), Type.Literal('kubernetes')]),
    maxInstances: Type.Optional(Type.Integer({ minimum: 1, maximum: 9999 })),
    revisionHistoryLimit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    /** The minReadySeconds of a service created without one; absent: 10. */
    minReadySeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600 })),
    defaultVolumeSizeGi: Type.Optional(Type.Integer({ minimum: 1, maximum: 65536 })),
    /** What volumes may be made of; the first is the default. Absent: one type for the runtime (defaultStorageTypes). */
    storageTypes: Type.Optional(Type.Array(StorageTypeConfig, { minItems: 1 })),
    resourceSpecs: Type.Optional(Type.Array(ResourceSpecConfig, { minItems: 1 })),
    /** The GPU types services may ask for; absent: none. */
    gpus: Type.Optional(Type.Array(GpuConfig)),
    /** Registries images may come from (`docker.io`, `reg.example.com:5000`); absent: any but loopback, link-local and private addresses. */
    allowedRegistries: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    /** What the region as a whole may run. */
    quota: Type.Optional(QuotaLimits),
    /** What each project may run, unless the admin set the project's own quota through the API. */
    projectQuota: Type.Optional(QuotaLimits),
    security: Type.Optional(
      Type.Object(
        {
          pidsLimit: Type.Optional(Type.Integer({ minimum: 16, maximum: 4_194_304 })),
          runAsNonRoot: Type.Optional(Type.Boolean()),
          readOnlyRootFilesystem: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
    simulated: Type.Optional(
      Type.Object({ startDelayMs: Type.Integer({ minimum: 0, maximum: 600_000 }) }, { additionalProperties: false }),
    ),
    docker: Type.Optional(
      Type.Object(
        {
          socket: Type.Optional(Type.String({ minLength: 1 })),
          sandboxImage: Type.Optional(Type.String({ minLength: 1 })),
          publishPorts: Type.Optional(Type.Boolean()),
          /** The host address ports are published on; 0.0.0.0 publishes to every network the host is on. */
          publishAddress: Type.Optional(Type.String({ minLength: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    kubernetes: Type.Optional(
      Type.Object(
        {
          kubeconfig: Type.Optional(Type.String({ minLength: 1 })),
          context: Type.Optional(Type.String({ minLength: 1 })),
          namespacePrefix: Type.Optional(Type.String({ pattern: '^[a-z0-9-]*$', maxLength: 32 })),
          storageClass: Type.Optional(Type.String({ minLength: 1 })),
          /** Gone: the region's defaultVolumeSizeGi is the one default size. Kept here to say so at start. */
          defaultVolumeSize: Type.Optional(Type.String()),
          imagePullSecrets: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
type RegionFileSettings = Static<typeof RegionConfig>;

const MAX_EVENTS_PER_SERVICE = 10_000;
const MAX_EVENT_AGE_SECONDS = 30 * 86_400;

const ConfigFile = Type.Object(
  {
    host: Type.Optional(Type.String()),
    port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
    dataDir: Type.Optional(Type.String()),
    regions: Type.Optional(Type.Array(RegionConfig, { minItems: 1 })),
    /** With several replicas on PostgreSQL: how long a lease lasts without renewal (controller/leader-election.ts). */
    leaseDurationSeconds: Type.Optional(Type.Number({ minimum: 1, maximum: 3600 })),
    /** How often the controller queues every service again, catching what an event missed (controller/controller.ts). */
    controllerResyncSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
    /** How many events are kept per service and for how long (store/events.ts). */
    events: Type.Optional(
      Type.Object(
        {
          maxPerService: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_EVENTS_PER_SERVICE })),
          maxAgeSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: MAX_EVENT_AGE_SECONDS })),
        },
        { additionalProperties: false },
      ),
    ),
    api: Type.Optional(
      Type.Object(
        { fieldValidation: Type.Optional(Type.Union(FIELD_VALIDATIONS.map((mode) => Type.Literal(mode)))) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
type ConfigFile = Static<typeof ConfigFile>;

export type RuntimeChoice = Static<typeof RegionConfig>['runtime'];

export interface RegionSettings {
  name: string;
  runtime: RuntimeChoice;
  maxInstances: number;
  revisionHistoryLimit: number;
  /** The minReadySeconds of a service created without one (default 10). */
  minReadySeconds?: number;
  /** The size of a volume a service mounts before it was created through the API. */
  defaultVolumeSizeGi: number;
  /** At least one; the first is the default of a volume that names none. */
  storageTypes: StorageTypeSettings[];
  resourceSpecs: Array<{ name: string; cpu: number; memory: number; desc: string }>;
  /** With the defaults filled in (see gpuCatalogue). */
  gpus: GpuType[];
  /** Undefined: any registry but loopback, link-local and private addresses. */
  allowedRegistries: string[] | undefined;
  quota: QuotaLimits;
  projectQuota: QuotaLimits;
  security: ContainerSecurity;
  simulated: { startDelayMs: number };
  /** As written in the config file; the Docker runtime fills defaults (socket from DOCKER_HOST, …). */
  docker: NonNullable<RegionFileSettings['docker']>;
  /** As written in the config file; the Kubernetes runtime fills defaults. */
  kubernetes: NonNullable<RegionFileSettings['kubernetes']>;
}

/** A storage type of a region with its defaults filled in (`docker`, `kubernetes`: absent means the runtime's default). */
export type StorageTypeSettings = Omit<Static<typeof StorageTypeConfig>, keyof StorageTypeOffer> & StorageTypeOffer;

/**
 * One type when the region lists none, storing volumes where Wharf always has: Docker's `local`
 * driver (a directory on the engine host), the region's `kubernetes.storageClass` or else the
 * cluster's default StorageClass. On Kubernetes the type is named after the class, so the name
 * says what a claim gets.
 */
export function defaultStorageTypes(region: Pick<RegionFileSettings, 'runtime' | 'kubernetes'>): Array<Static<typeof StorageTypeConfig>> {
  switch (region.runtime) {
    case 'kubernetes': {
      const storageClass = region.kubernetes?.storageClass;
      return [{ type: storageClass ?? 'default', desc: storageClass ? `StorageClass ${storageClass}` : 'the cluster\'s default StorageClass' }];
    }
    case 'simulated':
      return [{ type: 'local', desc: 'simulated: no storage exists' }];
    default:
      return [{ type: 'local', desc: 'Docker local volume driver: a directory on the engine host\'s disk' }];
  }
}

/** What every container of a region runs with, on every runtime. */
export interface ContainerSecurity {
  /** The most processes (and threads) a container may run. */
  pidsLimit: number;
  /** Refuse to start a container whose image would run it as root (Kubernetes' runAsNonRoot). */
  runAsNonRoot: boolean;
  readOnlyRootFilesystem: boolean;
}

export const DEFAULT_PIDS_LIMIT = 1024;

/**
 * A project's quota unless the region's config or the admin says otherwise: room for a real
 * project, not for one token to fill the host (CPU and memory depend on the host: unlimited).
 */
export const DEFAULT_PROJECT_QUOTA: QuotaLimits = { services: 100, pods: 500, containers: 1000 };

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** WHARF_DATABASE_URL: the PostgreSQL store several replicas share; unset: SQLite in dataDir. */
  databaseUrl: string | undefined;
  logLevel: string;
  regions: RegionSettings[];
  /** WHARF_AUTH: `off` lets every request in, so it is accepted only on a loopback address. */
  auth: 'on' | 'off';
  /** WHARF_ADMIN_TOKEN; when unset, Wharf keeps a generated one in `<dataDir>/admin-token`. */
  adminToken: string | undefined;
  /** What the API does with a body's unknown fields unless a request asks otherwise. */
  fieldValidation: FieldValidation;
  /** How many events are kept per service and for how long. */
  events: EventRetention;
  /** WHARF_REPLICA_ID: this replica's name in the leases (controller/leader-election.ts). */
  replica: string;
  /** WHARF_LEASE_DURATION_SECONDS, in ms: how long a region waits for another leader when its leader dies (PostgreSQL only). */
  leaseDurationMs: number;
  /** WHARF_CONTROLLER_RESYNC_SECONDS, in ms: how often the controller queues every service again. */
  controllerResyncMs: number;
}

/** An event the controller missed (a lost notification, a pod gone unseen) is acted on within this at the latest. */
export const DEFAULT_CONTROLLER_RESYNC_SECONDS = 30;

/** Kubernetes' default for leader election (client-go's LeaseDuration). */
export const DEFAULT_LEASE_DURATION_SECONDS = 15;

/** DESIGN.md §3: the seed's four specs, with 2U4G at 4096 MB (the seed's 4906 is a typo). */
export const DEFAULT_RESOURCE_SPECS = [
  { name: '1U1G', cpu: 1, memory: 1024, desc: '简约型' },
  { name: '1U2G', cpu: 1, memory: 2048, desc: '通用型' },
  { name: '2U2G', cpu: 2, memory: 2048, desc: '通用型' },
  { name: '2U4G', cpu: 2, memory: 4096, desc: '通用型' },
];

const RUNTIME_CHOICES: readonly RuntimeChoice[] = ['auto', 'simulated', 'docker', 'kubernetes'];

/**
 * The configuration from an optional YAML file (`--config` or WHARF_CONFIG) and the environment.
 * Environment variables win over the file, as operators expect when they override one setting.
 */
export function loadConfig(env: NodeJS.ProcessEnv, configPath = env.WHARF_CONFIG): Config {
  const file = configPath ? readConfigFile(configPath) : {};
  const runtimeFromEnv = env.WHARF_RUNTIME;
  if (runtimeFromEnv !== undefined && !RUNTIME_CHOICES.includes(runtimeFromEnv as RuntimeChoice)) {
    throw new Error(`WHARF_RUNTIME must be one of ${RUNTIME_CHOICES.join(', ')}, got "${runtimeFromEnv}"`);
  }
  const defaultRegion: RegionFileSettings = { name: 'local', runtime: (runtimeFromEnv ?? 'auto') as RuntimeChoice };
  const outdated = file.regions?.find((region) => region.kubernetes?.defaultVolumeSize !== undefined);
  if (outdated) {
    throw new Error(`config: region "${outdated.name}": kubernetes.defaultVolumeSize is gone; set the region's defaultVolumeSizeGi (GiB) instead`);
  }
  const regions = (file.regions ?? [defaultRegion]).map(
    (region): RegionSettings => ({
      name: region.name,
      runtime: region.runtime,
      maxInstances: region.maxInstances ?? 50,
      revisionHistoryLimit: region.revisionHistoryLimit ?? 10,
      minReadySeconds: region.minReadySeconds ?? 10,
      defaultVolumeSizeGi: region.defaultVolumeSizeGi ?? 10,
      storageTypes: (region.storageTypes ?? defaultStorageTypes(region)).map((type) => ({ desc: '', iops: '', fsType: DEFAULT_FS_TYPE, ...type })),
      resourceSpecs: (region.resourceSpecs ?? DEFAULT_RESOURCE_SPECS).map((spec) => ({ desc: '', ...spec })),
      gpus: gpuCatalogue(region.name, region.gpus ?? []),
      allowedRegistries: region.allowedRegistries,
      quota: region.quota ?? {},
      projectQuota: region.projectQuota ?? DEFAULT_PROJECT_QUOTA,
      security: {
        pidsLimit: region.security?.pidsLimit ?? DEFAULT_PIDS_LIMIT,
        runAsNonRoot: region.security?.runAsNonRoot ?? false,
        readOnlyRootFilesystem: region.security?.readOnlyRootFilesystem ?? false,
      },
      simulated: region.simulated ?? { startDelayMs: 300 },
      docker: region.docker ?? {},
      kubernetes: region.kubernetes ?? {},
    }),
  );
  const names = new Set<string>();
  for (const region of regions) {
    if (names.has(region.name)) throw new Error(`config: region "${region.name}" is listed twice`);
    names.add(region.name);
    const types = region.storageTypes.map((type) => type.type);
    const repeated = types.find((type, index) => types.indexOf(type) !== index);
    if (repeated) throw new Error(`config: region "${region.name}" lists storage type "${repeated}" twice`);
  }
  const host = env.HOST ?? file.host ?? '127.0.0.1';
  return {
    host,
    port: parsePort(env.PORT) ?? file.port ?? 8080,
    dataDir: env.WHARF_DATA_DIR ?? file.dataDir ?? './data',
    databaseUrl: parseDatabaseUrl(env.WHARF_DATABASE_URL),
    logLevel: env.WHARF_LOG_LEVEL ?? 'info',
    regions,
    auth: parseAuth(env.WHARF_AUTH, host),
    adminToken: parseAdminToken(env.WHARF_ADMIN_TOKEN),
    fieldValidation: file.api?.fieldValidation ?? 'Warn',
    events: {
      maxPerService: parseBoundedInteger('WHARF_EVENTS_MAX_PER_SERVICE', env.WHARF_EVENTS_MAX_PER_SERVICE, 1, MAX_EVENTS_PER_SERVICE)
        ?? file.events?.maxPerService ?? DEFAULT_EVENT_RETENTION.maxPerService,
      maxAgeSeconds: parseBoundedInteger('WHARF_EVENTS_MAX_AGE_SECONDS', env.WHARF_EVENTS_MAX_AGE_SECONDS, 60, MAX_EVENT_AGE_SECONDS)
        ?? file.events?.maxAgeSeconds ?? DEFAULT_EVENT_RETENTION.maxAgeSeconds,
    },
    replica: parseReplica(env.WHARF_REPLICA_ID),
    leaseDurationMs: 1000 * (parseLeaseDuration(env.WHARF_LEASE_DURATION_SECONDS) ?? file.leaseDurationSeconds ?? DEFAULT_LEASE_DURATION_SECONDS),
    controllerResyncMs: 1000 * (parseBoundedInteger('WHARF_CONTROLLER_RESYNC_SECONDS', env.WHARF_CONTROLLER_RESYNC_SECONDS, 1, 3600)
      ?? file.controllerResyncSeconds ?? DEFAULT_CONTROLLER_RESYNC_SECONDS),
  };
}

/**
 * Unique by default, as client-go's hostname plus a random suffix: two replicas with one name
 * would both believe they hold the lease. In Kubernetes, the pod's name (the downward API).
 */
function parseReplica(text: string | undefined): string {
  if (text === undefined || text === '') return `${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`;
  if (!/^[\x21-\x7e]{1,128}$/.test(text)) throw new Error(`WHARF_REPLICA_ID must be 1 to 128 printable characters without spaces, got "${text}"`);
  return text;
}

/** Seconds, fractions allowed (tests take over in a second or two); at least 1. */
function parseLeaseDuration(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 1 || value > 3600) throw new Error(`WHARF_LEASE_DURATION_SECONDS must be a number of seconds 1..3600, got "${text}"`);
  return value;
}

function parseBoundedInteger(name: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be a whole number ${min}..${max}, got "${text}"`);
  return value;
}

/**
 * A region's GPU types with NVIDIA's defaults, the GPUs most hosts and clusters have: Docker's
 * `nvidia` driver (the NVIDIA Container Toolkit) with the `gpu` capability, as `docker run --gpus`
 * asks, and the NVIDIA device plugin's `nvidia.com/gpu` resource.
 */
function gpuCatalogue(region: string, gpus: Array<Static<typeof GpuConfig>>): GpuType[] {
  const types = gpus.map((gpu) => gpu.type);
  const repeated = types.find((type, index) => types.indexOf(type) !== index);
  if (repeated) throw new Error(`config: region "${region}" lists GPU type "${repeated}" twice`);
  return gpus.map((gpu) => ({
    type: gpu.type,
    docker: { driver: gpu.docker?.driver ?? 'nvidia', capabilities: gpu.docker?.capabilities ?? ['gpu'] },
    kubernetes: { resource: gpu.kubernetes?.resource ?? 'nvidia.com/gpu', nodeSelector: gpu.kubernetes?.nodeSelector ?? {} },
  }));
}

/** Without authentication anyone who reaches the port can do anything: only this machine may. */
function parseAuth(text: string | undefined, host: string): 'on' | 'off' {
  if (text === undefined || text === 'on') return 'on';
  if (text !== 'off') throw new Error(`WHARF_AUTH must be "on" or "off", got "${text}"`);
  if (!isLoopback(host)) {
    throw new Error(
      `WHARF_AUTH=off is only allowed on a loopback address, but HOST is "${host}": ` +
        'listen on 127.0.0.1, ::1 or localhost, or keep authentication on',
    );
  }
  return 'off';
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIPv4(host) && host.startsWith('127.'));
}

const MIN_ADMIN_TOKEN_LENGTH = 16;

function parseAdminToken(text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined;
  if (text.length < MIN_ADMIN_TOKEN_LENGTH) {
    throw new Error(`WHARF_ADMIN_TOKEN must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters: it opens everything`);
  }
  return text;
}

function readConfigFile(path: string): ConfigFile {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(path, 'utf8')) ?? {};
  } catch (error) {
    throw new Error(`config ${path}: ${(error as Error).message}`);
  }
  const firstError = [...Value.Errors(ConfigFile, parsed)][0];
  if (firstError) {
    throw new Error(`config ${path}: ${firstError.instancePath || '/'} ${firstError.message}`);
  }
  return parsed as ConfigFile;
}

function parsePort(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be 0..65535, got "${text}"`);
  return port;
}

/** Only PostgreSQL is served by URL; a typo must not silently fall back to a fresh SQLite store. */
function parseDatabaseUrl(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^postgres(ql)?:\/\//.test(value)) throw new Error('WHARF_DATABASE_URL must be a postgres:// or postgresql:// URL');
  return value;
}
