// Docker runtime: time from POST of a stateless service to phase `running`, against the floor of
// the same pods created by a minimal direct Docker-API script in the same run.
// Run alone: node --import tsx bench/docker.ts (needs test/e2e/docker/build-images.sh's images).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type Docker from 'dockerode';
import { pino } from 'pino';
import { loadConfig } from '../src/config.js';
import { connect, engineAddress } from '../src/runtime/docker/client.js';
import { claimMarkerName } from '../src/runtime/docker/labels.js';
import { createWharf } from '../src/wharf.js';
import { median } from './stats.js';

export interface DockerBenchResult {
  replicas: number;
  rounds: number;
  /** Medians over the rounds, in milliseconds. */
  wharfMs: number;
  directMs: number;
  ratio: number;
}

const SANDBOX_IMAGE = 'wharf-e2e/sandbox:1';
const APP_IMAGE = 'wharf-e2e/app:1';
const REGION = 'bench';
const PROJECT = 'bench';
const COMMAND = { Entrypoint: ['httpd'], Cmd: ['-f', '-p', '80', '-h', '/'] };

export async function benchDocker(options: { replicas?: number; rounds?: number } = {}): Promise<DockerBenchResult> {
  const { replicas = 10, rounds = 3 } = options;
  const docker = connect(engineAddress(undefined, process.env));
  const network = `wharf-${PROJECT}`;
  await docker.createNetwork({ Name: network, Driver: 'bridge', CheckDuplicate: true }).catch(() => {});
  const wharfTimes: number[] = [];
  const directTimes: number[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      directTimes.push(await direct(docker, network, replicas));
      wharfTimes.push(await throughWharf(docker, replicas));
    }
  } finally {
    await removeAll(docker, { label: [`io.wharf.region=${REGION}`] });
    await removeAll(docker, { label: ['bench.floor=1'] });
    await docker.getNetwork(network).remove().catch(() => {});
  }
  const wharfMs = median(wharfTimes);
  const directMs = median(directTimes);
  return { replicas, rounds, wharfMs, directMs, ratio: wharfMs / directMs };
}

/** The floor: sandbox then container per pod, all pods at once, as a minimal script would. */
async function direct(docker: Docker, network: string, replicas: number): Promise<number> {
  const started = performance.now();
  await Promise.all(
    Array.from({ length: replicas }, async (_, index) => {
      const hostConfig = { RestartPolicy: { Name: 'always' }, Init: true };
      const sandbox = await docker.createContainer({
        name: `bench-floor-${index}`,
        Image: SANDBOX_IMAGE,
        Labels: { 'bench.floor': '1' },
        HostConfig: { ...hostConfig, NetworkMode: network },
      });
      await sandbox.start();
      const app = await docker.createContainer({
        name: `bench-floor-${index}-app`,
        Image: APP_IMAGE,
        ...COMMAND,
        Labels: { 'bench.floor': '1' },
        HostConfig: { ...hostConfig, NetworkMode: `container:${sandbox.id}`, NanoCpus: 1e9, Memory: 1024 * 1024 * 1024 },
      });
      await app.start();
    }),
  );
  const elapsed = performance.now() - started;
  await removeAll(docker, { label: ['bench.floor=1'] });
  return elapsed;
}

/** POST of a stateless service to the first GET that answers phase `running`. */
async function throughWharf(docker: Docker, replicas: number): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'wharf-bench-'));
  const [region] = loadConfig({ WHARF_RUNTIME: 'docker', WHARF_DATA_DIR: dataDir }).regions;
  // In process and never listening: the rollout is measured without authentication.
  const config = { ...loadConfig({ WHARF_DATA_DIR: dataDir, WHARF_AUTH: 'off' }), regions: [{ ...region!, name: REGION, docker: { sandboxImage: SANDBOX_IMAGE } }] };
  const wharf = await createWharf(config, { logger: pino({ level: 'silent' }) });
  const services = `/regions/${REGION}/v1/projects/${PROJECT}/apps/shop/microservices`;
  try {
    await wharf.api.inject({ method: 'POST', url: `/regions/${REGION}/v1/projects/${PROJECT}/apps`, payload: { name: 'shop', microservices: [] } });
    const started = performance.now();
    const created = await wharf.api.inject({
      method: 'POST',
      url: services,
      payload: {
        name: 'web',
        type: 'stateless',
        resourceSpec: '1U1G',
        instanceNumber: replicas,
        containers: [{ name: 'httpd', image: APP_IMAGE, command: COMMAND.Entrypoint, args: COMMAND.Cmd }],
        // Start-up is measured, not the region's default 10 s that a pod must run before it is available.
        minReadySeconds: 0,
      },
    });
    if (created.statusCode !== 201) throw new Error(`POST answered ${created.statusCode}: ${created.body}`);
    for (;;) {
      const service = (await wharf.api.inject({ method: 'GET', url: `${services}/web` })).json();
      if (service.status.phase === 'running') break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return performance.now() - started;
  } finally {
    await wharf.close();
    await removeAll(docker, { label: [`io.wharf.region=${REGION}`] });
    // Each round is a new Wharf (a new store): release the region's claim for the next one.
    await docker.getVolume(claimMarkerName(REGION)).remove().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function removeAll(docker: Docker, filters: { label: string[] }): Promise<void> {
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(containers.map((container) => docker.getContainer(container.Id).remove({ force: true }).catch(() => {})));
}

export function formatDockerBench(result: DockerBenchResult): string {
  return [
    `Docker runtime, ${result.replicas}-replica stateless service, median of ${result.rounds} rounds:`,
    `  POST to phase running through Wharf   ${result.wharfMs.toFixed(0).padStart(6)} ms`,
    `  same pods by a direct dockerode script ${result.directMs.toFixed(0).padStart(6)} ms`,
    `  ratio                                  ${result.ratio.toFixed(2).padStart(6)}x (target <= 1.30x)`,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(`${formatDockerBench(await benchDocker())}\n`);
}
