// Docker runtime: a container's log read through Wharf (GET …/pods/{pod}/logs, and the service's
// merged GET …/logs) against the floor of the Engine's logs API read directly, in the same run.
// Run alone: node --import tsx bench/logs.ts (needs test/e2e/docker/build-images.sh's images).
import { mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import type Docker from 'dockerode';
import { pino } from 'pino';
import { loadConfig } from '../src/config.js';
import { connect, engineAddress } from '../src/runtime/docker/client.js';
import { claimMarkerName, networkName } from '../src/runtime/docker/labels.js';
import { createWharf } from '../src/wharf.js';
import { median } from './stats.js';

export interface LogBenchResult {
  lines: number;
  rounds: number;
  /** Medians over the rounds. */
  reads: Array<{ name: string; ms: number; bytes: number }>;
}

const SANDBOX_IMAGE = 'wharf-e2e/sandbox:1';
const APP_IMAGE = 'wharf-e2e/app:1';
const REGION = 'bench-logs';
const PROJECT = 'bench';

export async function benchLogs(options: { lines?: number; rounds?: number } = {}): Promise<LogBenchResult> {
  const { lines = 200_000, rounds = 5 } = options;
  const docker = connect(engineAddress(undefined, process.env));
  const dataDir = mkdtempSync(join(tmpdir(), 'wharf-bench-'));
  const [region] = loadConfig({ WHARF_RUNTIME: 'docker', WHARF_DATA_DIR: dataDir }).regions;
  const config = { ...loadConfig({ WHARF_DATA_DIR: dataDir, WHARF_AUTH: 'off' }), regions: [{ ...region!, name: REGION, docker: { sandboxImage: SANDBOX_IMAGE } }] };
  const wharf = await createWharf(config, { logger: pino({ level: 'silent' }) });
  const service = `/regions/${REGION}/v1/projects/${PROJECT}/apps/shop/microservices/writer`;
  try {
    await wharf.api.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(wharf.api.server.address() as AddressInfo).port}`;
    // Every line about 80 bytes; then it sleeps, so the log stays what it wrote.
    const script = `i=0; while [ $i -lt ${lines} ]; do echo "line $i of the log benchmark, padded to about eighty bytes ..........."; i=$((i+1)); done; exec sleep 3600`;
    const created = await wharf.api.inject({
      method: 'POST',
      url: `/regions/${REGION}/v1/projects/${PROJECT}/apps`,
      payload: { name: 'shop', microservices: [{ name: 'writer', type: 'stateless', resourceSpec: '1U1G', instanceNumber: 1, containers: [{ name: 'main', image: APP_IMAGE, command: ['sh', '-c', script] }] }] },
    });
    if (created.statusCode !== 201) throw new Error(`POST answered ${created.statusCode}: ${created.body}`);
    const last = `line ${lines - 1} `;
    let pod = '';
    let id = '';
    for (;;) {
      pod = (await wharf.api.inject({ method: 'GET', url: service })).json().pods?.[0]?.name ?? '';
      const [container] = pod ? await docker.listContainers({ filters: { label: [`io.wharf.pod=${pod}`, 'io.wharf.role=container'] } }) : [];
      if (container) {
        id = container.Id;
        const tail = (await docker.getContainer(id).logs({ stdout: true, tail: 1 })).toString();
        if (tail.includes(last)) break;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const samples: Record<string, Array<{ ms: number; bytes: number }>> = { engine: [], pod: [], service: [] };
    for (let round = 0; round < rounds; round++) {
      samples.engine!.push(await timed(() => engineLog(docker, id)));
      samples.pod!.push(await timed(() => httpBody(`${base}${service}/pods/${pod}/logs`)));
      samples.service!.push(await timed(() => httpBody(`${base}${service}/logs`)));
    }
    const names: Record<string, string> = {
      engine: 'Engine logs API, read directly (framed)',
      pod: 'GET …/pods/{pod}/logs through Wharf',
      service: 'GET …/logs (merged, prefixed) through Wharf',
    };
    return {
      lines,
      rounds,
      reads: Object.entries(samples).map(([key, values]) => ({ name: names[key]!, ms: median(values.map((each) => each.ms)), bytes: values[0]!.bytes })),
    };
  } finally {
    await wharf.close();
    const containers = await docker.listContainers({ all: true, filters: { label: [`io.wharf.region=${REGION}`] } });
    await Promise.all(containers.map((container) => docker.getContainer(container.Id).remove({ force: true }).catch(() => {})));
    await docker.getNetwork(networkName(REGION, PROJECT)).remove().catch(() => {});
    await docker.getVolume(claimMarkerName(REGION)).remove().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function timed(read: () => Promise<number>): Promise<{ ms: number; bytes: number }> {
  const started = performance.now();
  const bytes = await read();
  return { ms: performance.now() - started, bytes };
}

/** The floor: the same request Wharf makes of the engine, its answer read to the end. */
function engineLog(docker: Docker, id: string): Promise<number> {
  return new Promise((resolve, reject) => {
    docker.modem.dial(
      { path: `/containers/${id}/logs?`, method: 'GET', isStream: true, statusCodes: { 200: true }, options: { stdout: true, stderr: true } },
      (error: unknown, stream: unknown) => {
        if (error) return reject(error);
        let bytes = 0;
        (stream as Readable).on('data', (chunk: Buffer) => (bytes += chunk.length)).once('end', () => resolve(bytes)).once('error', reject);
      },
    );
  });
}

/** A plain node:http client, the cheapest there is: client and server share this process. */
function httpBody(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, (response) => {
      if (response.statusCode !== 200) return reject(new Error(`${url} answered ${response.statusCode}`));
      let bytes = 0;
      response.on('data', (chunk: Buffer) => (bytes += chunk.length)).once('end', () => resolve(bytes)).once('error', reject);
    }).once('error', reject);
  });
}

export function formatLogBench(result: LogBenchResult): string {
  const floor = result.reads[0]!;
  return [
    `Docker runtime, reading a ${result.lines}-line log, median of ${result.rounds} rounds:`,
    ...result.reads.map((read) => {
      const mbPerSecond = read.bytes / 1e6 / (read.ms / 1000);
      const linesPerSecond = result.lines / (read.ms / 1000);
      return `  ${read.name.padEnd(46)} ${read.ms.toFixed(0).padStart(6)} ms ${mbPerSecond.toFixed(0).padStart(5)} MB/s ${(linesPerSecond / 1e6).toFixed(2)}M lines/s  ${(read.ms / floor.ms).toFixed(2)}x the floor`;
    }),
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(`${formatLogBench(await benchLogs())}\n`);
}
