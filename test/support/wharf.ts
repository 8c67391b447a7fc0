import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig, type Config } from '../../src/config.js';
import type { SimulatedRuntime } from '../../src/runtime/simulated/simulated-runtime.js';
import type { WatchOptions } from '../../src/api/watch-hub.js';
import { createWharf, type Wharf } from '../../src/wharf.js';
import { dropTestDatabase, TEST_DATABASE_URL, testDatabase } from './database.js';
import { apiPaths, authHeaders, TEST_ADMIN_TOKEN, type ApiPaths, type Credentials } from './api.js';

export interface TestWharf extends Wharf {
  dataDir: string;
  /** The PostgreSQL store's URL when the suites run on PostgreSQL (WHARF_TEST_DATABASE_URL); another Wharf started on it is a replica. */
  databaseUrl: string | undefined;
  /** The simulated runtime of region `local`. */
  simulated: SimulatedRuntime;
  adminToken: string;
  /** Sends the admin token unless `credentials` says otherwise. */
  request(
    method: string,
    url: string,
    body?: unknown,
    credentials?: Credentials,
  ): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
  /** Polls GET until `predicate` holds for the service object (fails after `timeoutMs`). */
  waitForService(path: string, predicate: (service: any) => boolean, timeoutMs?: number): Promise<any>;
  stop(): Promise<void>;
}

/** An in-process Wharf on a fresh data dir with the simulated runtime (fast pod starts). */
export async function startWharf(
  overrides: Partial<Config> & { startDelayMs?: number; minReadySeconds?: number; controllerResyncMs?: number; watch?: Partial<WatchOptions> } = {},
): Promise<TestWharf> {
  const dataDir = overrides.dataDir ?? mkdtempSync(join(tmpdir(), 'wharf-test-'));
  const base = loadConfig({ WHARF_DATA_DIR: dataDir, WHARF_RUNTIME: 'simulated' });
  const adminToken = overrides.adminToken ?? TEST_ADMIN_TOKEN;
  // Named after the data dir, so a test's own data dir started on again finds its state (and openTestDatabase opens it).
  const databaseUrl = overrides.databaseUrl ?? (TEST_DATABASE_URL ? await testDatabase(dataDir) : undefined);
  const config: Config = {
    ...base,
    databaseUrl,
    ...overrides,
    adminToken,
    // Pods count as available as soon as they run (the contract's default is 10 s), so tests that wait
    // for `running` stay fast; a test of minReadySeconds sets it on its service or passes minReadySeconds.
    regions: (overrides.regions ?? base.regions).map((region) => ({
      ...region,
      minReadySeconds: overrides.minReadySeconds ?? 0,
      simulated: { startDelayMs: overrides.startDelayMs ?? 20 },
    })),
  };
  const wharf = await createWharf(config, {
    logger: pino({ level: 'silent' }),
    controller: { resyncIntervalMs: overrides.controllerResyncMs ?? 1000, backoff: { baseDelayMs: 10, maxDelayMs: 200 } },
    ...(overrides.watch ? { watch: overrides.watch } : {}),
  });
  const request: TestWharf['request'] = async (method, url, body, credentials = { token: adminToken }) => {
    const response = await wharf.api.inject({
      method: method as 'GET',
      url,
      headers: authHeaders(credentials),
      ...(body === undefined ? {} : { payload: body as object }),
    });
    return {
      status: response.statusCode,
      body: response.body === '' ? undefined : JSON.parse(response.body),
      headers: response.headers,
    };
  };
  const waitForService: TestWharf['waitForService'] = async (path, predicate, timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs;
    let last: any;
    while (Date.now() < deadline) {
      last = (await request('GET', path)).body;
      if (predicate(last)) return last;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`service at ${path} never matched; last seen: ${JSON.stringify(last?.status ?? last)}`);
  };
  return {
    ...wharf,
    dataDir,
    databaseUrl,
    adminToken,
    simulated: wharf.regions.get('local')?.runtime as SimulatedRuntime,
    request,
    waitForService,
    stop: async () => {
      await wharf.close();
      if (overrides.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
      if (overrides.dataDir === undefined && overrides.databaseUrl === undefined && databaseUrl) await dropTestDatabase(databaseUrl);
    },
  };
}

/**
 * Creates the ConfigMap `cm` that the seed's examples (statelessService, statefulService) mount and
 * read `key1` from: without it their pods wait, as they would on a real engine.
 */
export async function createSeedConfigMap(
  wharf: { request(method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> },
  paths: ApiPaths = apiPaths(),
): Promise<void> {
  const answer = await wharf.request('POST', paths.configMaps, { name: 'cm', data: { key1: 'value1' } });
  if (answer.status !== 201) throw new Error(`creating the seed's ConfigMap: ${answer.status} ${JSON.stringify(answer.body)}`);
}

/** The seed's stateless example, with a name and image of the caller's choosing. */
export function statelessService(name = 'service0', overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    type: 'stateless',
    resourceSpec: '1U1G',
    instanceNumber: 1,
    ports: [
      { port: 80, protocol: 'TCP' },
      { port: 8080, protocol: 'UDP' },
    ],
    containers: [
      {
        name: 'container-0',
        image: 'reg.qiniu.com/library/alpine:latest',
        workingDir: '/workingdir',
        command: ['/bin/sh'],
        args: ['-c', 'echo test'],
        volumeMounts: [],
        configs: [{ configMapName: 'cm', mountPath: '/mnt/conf' }],
        envs: [
          { type: 'configMap', name: 'ENV1', value: 'cm.key1' },
          { name: 'ENV2', value: 'test' },
        ],
      },
    ],
    ...overrides,
  };
}

/** The seed's stateful example. */
export function statefulService(name = 'service0', overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base = statelessService(name);
  const [container] = base.containers as Array<Record<string, unknown>>;
  return {
    ...base,
    type: 'stateful',
    containers: [{ ...container, volumeMounts: [{ volumeName: 'ceph-name', readOnly: false, mountPath: '/mnt/test' }] }],
    ...overrides,
  };
}
