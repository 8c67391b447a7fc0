// Docker runtime: a rolling upgrade of 10 replicas gated by a readiness probe, through Wharf and
// through Docker Swarm (`docker service update --update-parallelism 1 --update-order start-first`,
// the probe as the service's HEALTHCHECK), side by side (issue 11 §7). Both replace one replica at a
// time, start the new one first, and let an old one go only once a new one passes the probe.
// Run alone: node --import tsx bench/rolling-upgrade.ts (needs test/e2e/docker/build-images.sh's images).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { pino } from 'pino';
import { loadConfig } from '../src/config.js';
import { connect, engineAddress } from '../src/runtime/docker/client.js';
import { claimMarkerName, networkName } from '../src/runtime/docker/labels.js';
import { createWharf } from '../src/wharf.js';
// The Docker end-to-end files' lock: none of them restarts dockerd (daemon-restart.test.ts does)
// or loads the engine while a round is timed.
import { lockDocker } from '../test/support/docker.js';

const run = promisify(execFile);

const SANDBOX_IMAGE = 'wharf-e2e/sandbox:1';
const FROM_IMAGE = 'wharf-e2e/app:1';
const TO_IMAGE = 'wharf-e2e/app:2';
const REGION = 'bench-rollout';
const PROJECT = 'bench';
const SWARM_SERVICE = 'wharf-bench-rollout';
const HTTPD = ['httpd', '-f', '-p', '80', '-h', '/'];
/**
 * The probe, the same for both: HTTP GET /VERSION on port 80 every second; 3 failures in a row make
 * a replica unhealthy. A 5 s timeout, not Kubernetes' 1 s: a HEALTHCHECK is a `docker exec`, which
 * on a busy 2-CPU host takes 1-2.5 s by itself, and Swarm kills a replica it finds unhealthy.
 */
const PROBE = { path: '/VERSION', port: 80, periodSeconds: 1, timeoutSeconds: 5, failureThreshold: 3 };
// Swarm's HEALTHCHECK runs inside the container: the image's busybox has no wget, so GET by hand over nc.
const HEALTH_CMD = `printf 'GET ${PROBE.path} HTTP/1.0\\r\\n\\r\\n' | nc -w ${PROBE.timeoutSeconds} 127.0.0.1 ${PROBE.port} | grep -q '^HTTP/1.[01] [23]'`;
const POLL_MS = 100;
const TIMEOUT_MS = 180_000;

/** What the bench reads of a service. */
interface ServiceView {
  revision: number;
  status: { available: number; rollout: { revision: number; state: string } };
  pods: Array<{ revision: number }>;
}

/** What the bench reads of a Swarm task. */
interface SwarmTask {
  DesiredState?: string;
  Status?: { State?: string };
  Spec?: { ContainerSpec?: { Image?: string } };
}

export interface RolloutBenchResult {
  replicas: number;
  rounds: number;
  /** Seconds per round. */
  wharf: number[];
  /** Seconds per round; undefined with `swarmSkipped` saying why. */
  swarm?: number[];
  swarmSkipped?: string;
  /** Why a Swarm round failed (the rounds after it are not run). */
  swarmFailed?: string;
}

/** Why the benchmark cannot run on this engine (an image is missing), or undefined. */
export async function rollingUpgradeSkip(): Promise<string | undefined> {
  const docker = connect(engineAddress(undefined, process.env));
  for (const image of [SANDBOX_IMAGE, FROM_IMAGE, TO_IMAGE]) {
    if (!(await docker.getImage(image).inspect().then(() => true, () => false))) return `image ${image} is missing: run test/e2e/docker/build-images.sh`;
  }
  return undefined;
}

export async function benchRollingUpgrade(options: { replicas?: number; rounds?: number } = {}): Promise<RolloutBenchResult> {
  const { replicas = 10, rounds = 2 } = options;
  const docker = connect(engineAddress(undefined, process.env));
  const result: RolloutBenchResult = { replicas, rounds, wharf: [] };
  const swarm = await joinSwarm(docker);
  if (typeof swarm === 'string') result.swarmSkipped = swarm;
  else result.swarm = [];
  try {
    for (let round = 0; round < rounds; round++) {
      result.wharf.push(await locked(() => throughWharf(docker, replicas)));
      if (!result.swarm || result.swarmFailed) continue;
      try {
        result.swarm.push(await locked(() => throughSwarm(docker, replicas)));
      } catch (error) {
        result.swarmFailed = (error as Error).message;
      }
    }
  } finally {
    if (typeof swarm !== 'string') await swarm.leave();
  }
  return result;
}

async function locked<T>(work: () => Promise<T>): Promise<T> {
  const unlock = await lockDocker();
  try {
    return await work();
  } finally {
    unlock();
  }
}

/** Seconds from the upgrade's PUT to its rollout complete: every pod new and available, no old one left. */
async function throughWharf(docker: Docker, replicas: number): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'wharf-bench-rollout-'));
  const [region] = loadConfig({ WHARF_RUNTIME: 'docker', WHARF_DATA_DIR: dataDir }).regions;
  // In process and never listening: the rollout is measured without authentication.
  const config = { ...loadConfig({ WHARF_DATA_DIR: dataDir, WHARF_AUTH: 'off' }), regions: [{ ...region!, name: REGION, docker: { sandboxImage: SANDBOX_IMAGE } }] };
  const wharf = await createWharf(config, { logger: pino({ level: 'silent' }) });
  const apps = `/regions/${REGION}/v1/projects/${PROJECT}/apps`;
  const service = `${apps}/shop/microservices/web`;
  const call = async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object): Promise<unknown> => {
    const answer = await wharf.api.inject({ method, url, ...(payload ? { payload } : {}) });
    if (answer.statusCode >= 300) throw new Error(`${method} ${url}: ${answer.statusCode} ${answer.body}`);
    return answer.body ? answer.json() : undefined;
  };
  const container = (image: string) => ({
    name: 'httpd',
    image,
    command: HTTPD.slice(0, 1),
    args: HTTPD.slice(1),
    readinessProbe: { httpGet: { path: PROBE.path, port: PROBE.port }, periodSeconds: PROBE.periodSeconds, timeoutSeconds: PROBE.timeoutSeconds, failureThreshold: PROBE.failureThreshold },
  });
  const complete = (revision: number) => async (): Promise<boolean> => {
    const { revision: current, status, pods } = (await call('GET', service)) as ServiceView;
    return current === revision && status.rollout.revision === revision && status.rollout.state === 'complete' &&
      status.available === replicas && pods.length === replicas && pods.every((pod) => pod.revision === revision);
  };
  try {
    await call('POST', apps, {
      name: 'shop',
      microservices: [{
        name: 'web',
        type: 'stateless',
        resourceSpec: '1U1G',
        instanceNumber: replicas,
        containers: [container(FROM_IMAGE)],
        // Swarm has nothing like it (its --update-monitor does not hold the next replica back).
        minReadySeconds: 0,
      }],
    });
    await until('Wharf: revision 1 to roll out', complete(1));
    const started = performance.now();
    await call('PUT', `${service}/upgrade`, { containers: [container(TO_IMAGE)] });
    await until('Wharf: revision 2 to roll out', complete(2));
    return (performance.now() - started) / 1000;
  } finally {
    await wharf.close();
    await removeContainers(docker, [`io.wharf.region=${REGION}`]);
    // Each round is a new Wharf (a new store): release the region's claim for the next one.
    await docker.getVolume(claimMarkerName(REGION)).remove().catch(() => {});
    await docker.getNetwork(networkName(REGION, PROJECT)).remove().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Seconds from `docker service update` to every task of the new spec running (with a HEALTHCHECK
 * Swarm reports a task running only once it is healthy) and no old task left running.
 */
async function throughSwarm(docker: Docker, replicas: number): Promise<number> {
  await removeSwarmService(docker);
  try {
    await run('docker', [
      'service', 'create', '--detach', '--no-resolve-image', '--name', SWARM_SERVICE, '--replicas', String(replicas),
      // As Wharf runs a pod's containers: an init as PID 1 (httpd stops on SIGTERM), 1 CPU, 1 GiB.
      '--init', '--limit-cpu', '1', '--limit-memory', '1g',
      '--health-cmd', HEALTH_CMD,
      '--health-interval', `${PROBE.periodSeconds}s`, '--health-timeout', `${PROBE.timeoutSeconds}s`,
      '--health-retries', String(PROBE.failureThreshold), '--health-start-period', '0s',
      '--update-parallelism', '1', '--update-order', 'start-first', '--update-delay', '0s',
      FROM_IMAGE, ...HTTPD,
    ]);
    await until('Swarm: the service to run', () => swarmConverged(docker, FROM_IMAGE, replicas));
    const started = performance.now();
    await run('docker', ['service', 'update', '--detach', '--no-resolve-image', '--image', TO_IMAGE, '--update-parallelism', '1', '--update-order', 'start-first', SWARM_SERVICE]);
    await until('Swarm: the update to roll out', () => swarmConverged(docker, TO_IMAGE, replicas));
    return (performance.now() - started) / 1000;
  } finally {
    await removeSwarmService(docker);
  }
}

async function swarmConverged(docker: Docker, image: string, replicas: number): Promise<boolean> {
  const { UpdateStatus } = (await docker.getService(SWARM_SERVICE).inspect()) as { UpdateStatus?: { State?: string; Message?: string } };
  if (UpdateStatus?.State === 'paused' || UpdateStatus?.State === 'rollback_completed') throw new Error(`Swarm stopped the update: ${UpdateStatus.Message}`);
  const tasks = (await docker.listTasks({ filters: { service: [SWARM_SERVICE] } })) as SwarmTask[];
  const running = tasks.filter((task) => task.Status?.State === 'running');
  const current = running.filter((task) => task.DesiredState === 'running' && task.Spec?.ContainerSpec?.Image === image);
  return current.length === replicas && running.length === replicas;
}

async function removeSwarmService(docker: Docker): Promise<void> {
  await run('docker', ['service', 'rm', SWARM_SERVICE]).catch(() => {});
  // The service's containers go after the command returns: wait, so that the next round starts clean.
  await until('Swarm: the service containers to go', async () => {
    const left = await docker.listContainers({ all: true, filters: { label: [`com.docker.swarm.service.name=${SWARM_SERVICE}`] } });
    return left.length === 0;
  });
}

/** This engine in a swarm: joins one (and leaves it afterwards) unless it already is; or why not. */
async function joinSwarm(docker: Docker): Promise<{ leave(): Promise<void> } | string> {
  const state = (await docker.info()).Swarm?.LocalNodeState;
  if (state === 'active') {
    const manager = (await docker.info()).Swarm?.ControlAvailable;
    return manager ? { leave: async () => {} } : 'the engine is a Swarm worker, not a manager: it cannot create services';
  }
  if (state !== 'inactive') return `the engine's Swarm state is ${state}`;
  // Joining makes the docker_gwbridge network, which leaving keeps: it goes too unless it was there.
  const gwbridge = await docker.getNetwork('docker_gwbridge').inspect().then(() => true, () => false);
  try {
    await run('docker', ['swarm', 'init']);
  } catch (error) {
    // More than one address (a host with several interfaces): a single-node swarm needs no reachable one.
    try {
      await run('docker', ['swarm', 'init', '--advertise-addr', '127.0.0.1']);
    } catch {
      return `docker swarm init failed: ${(error as { stderr?: string }).stderr?.trim() || (error as Error).message}`;
    }
  }
  return {
    leave: async () => {
      await run('docker', ['swarm', 'leave', '--force']).catch(() => {});
      if (!gwbridge) await docker.getNetwork('docker_gwbridge').remove().catch(() => {});
    },
  };
}

async function removeContainers(docker: Docker, label: string[]): Promise<void> {
  const containers = await docker.listContainers({ all: true, filters: { label } });
  await Promise.all(containers.map((container) => docker.getContainer(container.Id).remove({ force: true }).catch(() => {})));
}

async function until(what: string, done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${TIMEOUT_MS / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

const seconds = (values: number[]): string => {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted.length % 2 === 1 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  return [sorted[0]!, median, sorted.at(-1)!].map((value) => value.toFixed(1).padStart(5)).join(' /') + ' s';
};

export function formatRollingUpgrade(result: RolloutBenchResult): string {
  const lines = [
    `Docker runtime, rolling upgrade of ${result.replicas} replicas (app:1 -> app:2), one at a time, start-first,`,
    `readiness HTTP GET ${PROBE.path} every ${PROBE.periodSeconds} s; ${result.rounds} rounds, seconds min / median / max:`,
    `  Wharf: PUT upgrade to rollout complete (readinessProbe httpGet)        ${seconds(result.wharf)}`,
  ];
  if (result.swarm && result.swarm.length > 0) lines.push(`  Docker Swarm: service update to all new tasks running (HEALTHCHECK)   ${seconds(result.swarm)}`);
  if (result.swarmFailed) lines.push(`  Docker Swarm: failed after ${result.swarm?.length ?? 0} round(s): ${result.swarmFailed}`);
  if (result.swarmSkipped) lines.push(`  Docker Swarm: skipped: ${result.swarmSkipped}`);
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const skip = await rollingUpgradeSkip();
  process.stdout.write(skip ? `Rolling upgrade benchmark skipped: ${skip}\n` : `${formatRollingUpgrade(await benchRollingUpgrade())}\n`);
}
