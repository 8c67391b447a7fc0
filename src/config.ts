import { readFileSync } from 'node:fs';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { parse as parseYaml } from 'yaml';

const ResourceSpecConfig = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 16 }),
    cpu: Type.Number({ exclusiveMinimum: 0 }),
    memory: Type.Integer({ minimum: 4 }),
    desc: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

const RegionConfig = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 63, pattern: '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$' }),
    runtime: Type.Union([Type.Literal('auto'), Type.Literal('simulated'), Type.Literal('docker'), Type.Literal('kubernetes')]),
    maxInstances: Type.Optional(Type.Integer({ minimum: 1, maximum: 9999 })),
    revisionHistoryLimit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    resourceSpecs: Type.Optional(Type.Array(ResourceSpecConfig, { minItems: 1 })),
    simulated: Type.Optional(
      Type.Object({ startDelayMs: Type.Integer({ minimum: 0, maximum: 600_000 }) }, { additionalProperties: false }),
    ),
    docker: Type.Optional(
      Type.Object(
        {
          socket: Type.Optional(Type.String({ minLength: 1 })),
          sandboxImage: Type.Optional(Type.String({ minLength: 1 })),
          publishPorts: Type.Optional(Type.Boolean()),
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
          defaultVolumeSize: Type.Optional(Type.String({ pattern: '^[0-9]+(Ki|Mi|Gi|Ti)$' })),
          imagePullSecrets: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
type RegionFileSettings = Static<typeof RegionConfig>;

const ConfigFile = Type.Object(
  {
    host: Type.Optional(Type.String()),
    port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
    dataDir: Type.Optional(Type.String()),
    regions: Type.Optional(Type.Array(RegionConfig, { minItems: 1 })),
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
  resourceSpecs: Array<{ name: string; cpu: number; memory: number; desc: string }>;
  simulated: { startDelayMs: number };
  /** As written in the config file; the Docker runtime fills defaults (socket from DOCKER_HOST, …). */
  docker: NonNullable<RegionFileSettings['docker']>;
  /** As written in the config file; the Kubernetes runtime fills defaults. */
  kubernetes: NonNullable<RegionFileSettings['kubernetes']>;
}

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  logLevel: string;
  regions: RegionSettings[];
}

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
  const regions = (file.regions ?? [defaultRegion]).map(
    (region): RegionSettings => ({
      name: region.name,
      runtime: region.runtime,
      maxInstances: region.maxInstances ?? 50,
      revisionHistoryLimit: region.revisionHistoryLimit ?? 10,
      resourceSpecs: (region.resourceSpecs ?? DEFAULT_RESOURCE_SPECS).map((spec) => ({ desc: '', ...spec })),
      simulated: region.simulated ?? { startDelayMs: 300 },
      docker: region.docker ?? {},
      kubernetes: region.kubernetes ?? {},
    }),
  );
  const names = new Set<string>();
  for (const region of regions) {
    if (names.has(region.name)) throw new Error(`config: region "${region.name}" is listed twice`);
    names.add(region.name);
  }
  return {
    host: env.HOST ?? file.host ?? '127.0.0.1',
    port: parsePort(env.PORT) ?? file.port ?? 8080,
    dataDir: env.WHARF_DATA_DIR ?? file.dataDir ?? './data',
    logLevel: env.WHARF_LOG_LEVEL ?? 'info',
    regions,
  };
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
