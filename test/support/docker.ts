import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import Docker from 'dockerode';
import { loadConfig, type RegionSettings } from '../../src/config.js';
import { connect, engineAddress, engineAnswers } from '../../src/runtime/docker/client.js';
import { claimMarkerName, networkName } from '../../src/runtime/docker/labels.js';
import { legacyNetworkName } from '../../src/runtime/docker/migration.js';
import { authHeaders, TEST_ADMIN_TOKEN } from './api.js';
import { startWharf, type TestWharf } from './wharf.js';

/** Built by test/e2e/docker/build-images.sh from busybox-static: nothing is pulled. */
export const IMAGES = { sandbox: 'wharf-e2e/sandbox:1', app1: 'wharf-e2e/app:1', app2: 'wharf-e2e/app:2' };

export const address = engineAddress(undefined, process.env);
export const docker: Docker = connect(address);

/**
 * Whether the Docker suite can run: false when it can, else the reason it is skipped. With
 * WHARF_E2E_DOCKER=1 (CI) a missing engine or image is an error, never a silent skip.
 */
export async function dockerSuiteSkip(): Promise<string | false> {
  let reason: string | false = false;
  // Under the lock: another file may be restarting dockerd right now.
  const unlock = await lockDocker();
  try {
    if (!(await engineAnswers(address))) reason = `no Docker engine answers at ${address}`;
    else {
      for (const image of Object.values(IMAGES)) {
        const present = await docker.getImage(image).inspect().then(() => true, () => false);
        if (!present) reason = `image ${image} is missing: run test/e2e/docker/build-images.sh`;
      }
    }
  } finally {
    unlock();
  }
  if (reason && process.env.WHARF_E2E_DOCKER === '1') throw new Error(`WHARF_E2E_DOCKER=1 but ${reason}`);
  if (reason) {
    console.warn(`skipping the Docker end-to-end suite: ${reason}`);
    // The runner counts no test of a skipped suite: one skipped test makes the summary say so.
    it('the Docker end-to-end suite', { skip: reason }, () => {});
  }
  return reason;
}

/**
 * A region on the Docker runtime with the test sandbox image. Each test file names its own region:
 * a Wharf claims its regions on the engine, so a second Wharf (another test file, a developer's
 * own) naming the same region would refuse to start.
 */
export function dockerRegion(name: string, settings: Partial<RegionSettings> = {}): RegionSettings {
  const [region] = loadConfig({ WHARF_RUNTIME: 'docker' }).regions;
  return { ...region!, name, docker: { sandboxImage: IMAGES.sandbox }, ...settings };
}

/** An in-process Wharf whose one region runs on the Docker engine, with `settings` over the defaults. */
export async function startDockerWharf(region: string, options: { dataDir?: string; settings?: Partial<RegionSettings> } = {}): Promise<TestWharf> {
  return startWharf({ ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }), regions: [dockerRegion(region, options.settings)] });
}

/**
 * The hooks of a Docker test file: one file at a time holds the engine (lockDocker), its project
 * starts and ends clean, and an in-process Wharf drives the region. Returns the running Wharf.
 */
export function useDockerWharf(region: string, project: string, options: { volumes?: boolean; settings?: Partial<RegionSettings> } = {}): () => TestWharf {
  let wharf: TestWharf | undefined;
  let unlock: (() => void) | undefined;
  before(async () => {
    unlock = await lockDocker();
    await cleanProject(region, project, options);
    wharf = await startDockerWharf(region, { settings: options.settings });
  });
  after(async () => {
    await wharf?.stop();
    await cleanProject(region, project, options);
    unlock?.();
  });
  return () => {
    if (!wharf) throw new Error('the Docker test Wharf is not started');
    return wharf;
  };
}

/** Polls until `check` returns a value other than undefined (fails after `timeoutMs`). */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Wharf's containers of a project, as `docker ps -a` lists them. */
export async function projectContainers(region: string, project: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`io.wharf.region=${region}`, `io.wharf.project=${project}`] } });
}

/** Runs a command in a container and returns its output (throws on a non-zero exit). */
export function dockerExec(container: string, command: string[]): string {
  return execFileSync('docker', ['exec', container, ...command], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Removes everything Wharf made for a project in a region: containers, its network, (if asked)
 * volumes, and the region's claim, so that the next test Wharf (a new instance) may claim it: a
 * test file owns its region.
 */
export async function cleanProject(region: string, project: string, options: { volumes?: boolean } = {}): Promise<void> {
  const containers = await projectContainers(region, project);
  await Promise.all(containers.map((container) => docker.getContainer(container.Id).remove({ force: true }).catch(() => {})));
  await docker.getVolume(claimMarkerName(region)).remove().catch(() => {});
  const names = [networkName(region, project), legacyNetworkName(project)];
  const networks = await docker.listNetworks({ filters: { label: [`io.wharf.project=${project}`] } });
  await Promise.all(networks.filter((network) => names.includes(network.Name)).map((network) => docker.getNetwork(network.Id).remove().catch(() => {})));
  if (options.volumes) {
    const { Volumes } = await docker.listVolumes({ filters: { label: [`io.wharf.region=${region}`, `io.wharf.project=${project}`] } });
    await Promise.all((Volumes ?? []).map((volume) => docker.getVolume(volume.Name).remove().catch(() => {})));
  }
}

const LOCK = join(tmpdir(), 'wharf-e2e-docker.lock');

/**
 * Runs one Docker test file at a time: the runner runs files in parallel, and one of them restarts
 * dockerd. A lock left by a process that died is taken over.
 */
export async function lockDocker(): Promise<() => void> {
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      return () => rmSync(LOCK, { recursive: true, force: true });
    } catch {
      if (!holderAlive()) rmSync(LOCK, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

function holderAlive(): boolean {
  try {
    process.kill(Number(readFileSync(join(LOCK, 'pid'), 'utf8')), 0);
    return true;
  } catch (error) {
    // No pid file yet: the holder is between mkdir and write.
    return (error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface WharfProcess {
  url: string;
  request(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** `wharf serve` as a child process on a free port, with one Docker region; resolves once it answers. */
export async function spawnWharf(region: string, dataDir: string): Promise<WharfProcess> {
  const port = await freePort();
  const child = spawnServe(region, dataDir, port, 'inherit');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const request: WharfProcess['request'] = async (method, path, body) => {
    const response = await fetch(url + path, {
      method,
      headers: { ...authHeaders({ token: TEST_ADMIN_TOKEN }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  await eventually('wharf serve to answer', () => request('GET', '/healthz').then(() => true, () => undefined));
  return {
    url,
    request,
    kill: async (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/**
 * `wharf serve` as a child process that is expected to refuse to start: resolves with its exit
 * code and its stderr once it exits (fails after `timeoutMs`, killing it).
 */
export async function serveUntilExit(region: string, dataDir: string, timeoutMs = 30_000): Promise<{ code: number | null; stderr: string }> {
  const child = spawnServe(region, dataDir, await freePort(), 'pipe');
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
  clearTimeout(timer);
  return { code, stderr };
}

/** A config file in `dataDir` for `wharf serve` with one Docker region on the test sandbox image; returns its path. */
export function writeDockerConfig(region: string, dataDir: string): string {
  const config = join(dataDir, 'wharf.yaml');
  // minReadySeconds 0, as every test Wharf (see startWharf): a test of it sets it on its service.
  writeFileSync(config, `regions:\n  - name: ${region}\n    runtime: docker\n    minReadySeconds: 0\n    docker:\n      sandboxImage: ${IMAGES.sandbox}\n`);
  return config;
}

function spawnServe(region: string, dataDir: string, port: number, stderr: 'inherit' | 'pipe'): ChildProcess {
  const config = writeDockerConfig(region, dataDir);
  return spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'serve.ts'), 'serve', '--config', config], {
    env: {
      ...process.env,
      WHARF_DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      WHARF_LOG_LEVEL: 'warn',
      WHARF_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    },
    stdio: ['ignore', 'ignore', stderr],
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
