// Exec on the Docker runtime: the time from opening the WebSocket to the status of `true`, and the
// output rate of a command that writes 64 MiB, each through Wharf beside the same exec made with
// dockerode directly (the floor). Run alone: node --import tsx bench/exec.ts (needs the images of
// test/e2e/docker/build-images.sh).
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { pathToFileURL } from 'node:url';
import type Docker from 'dockerode';
import { pino } from 'pino';
import WebSocket from 'ws';
import { loadConfig } from '../src/config.js';
import { connect, engineAddress } from '../src/runtime/docker/client.js';
import { claimMarkerName, containerName } from '../src/runtime/docker/labels.js';
import { CHANNEL, V5_PROTOCOL } from '../src/domain/remotecommand.js';
import { createWharf } from '../src/wharf.js';
import { median } from './stats.js';

const SANDBOX_IMAGE = 'wharf-e2e/sandbox:1';
const APP_IMAGE = 'wharf-e2e/app:1';
const REGION = 'bench-exec';
const PROJECT = 'bench';
const OUTPUT_BYTES = 64 * 1024 * 1024;
const WRITER = ['head', '-c', String(OUTPUT_BYTES), '/dev/zero'];

export interface ExecBenchResult {
  execs: number;
  /** Medians, in milliseconds, of one `true` from open to status. */
  wharfMs: number;
  directMs: number;
  /** MiB/s of stdout, median of 3 runs of WRITER. */
  wharfMiBps: number;
  directMiBps: number;
}

export async function benchExec(execs = 30): Promise<ExecBenchResult> {
  const docker = connect(engineAddress(undefined, process.env));
  const dataDir = mkdtempSync(join(tmpdir(), 'wharf-bench-exec-'));
  const [region] = loadConfig({ WHARF_RUNTIME: 'docker', WHARF_DATA_DIR: dataDir }).regions;
  const config = { ...loadConfig({ WHARF_DATA_DIR: dataDir, WHARF_AUTH: 'off' }), regions: [{ ...region!, name: REGION, minReadySeconds: 0, docker: { sandboxImage: SANDBOX_IMAGE } }] };
  const wharf = await createWharf(config, { logger: pino({ level: 'silent' }) });
  try {
    await wharf.api.listen({ port: 0, host: '127.0.0.1' });
    const service = `/regions/${REGION}/v1/projects/${PROJECT}/apps/shop/microservices/shell`;
    const created = await wharf.api.inject({
      method: 'POST',
      url: `/regions/${REGION}/v1/projects/${PROJECT}/apps`,
      payload: { name: 'shop', microservices: [{ name: 'shell', type: 'stateless', resourceSpec: '1U1G', instanceNumber: 1, containers: [{ name: 'main', image: APP_IMAGE, command: ['sleep'], args: ['infinity'] }] }] },
    });
    if (created.statusCode !== 201) throw new Error(`POST answered ${created.statusCode}: ${created.body}`);
    let pod: string | undefined;
    while (!pod) {
      const body = (await wharf.api.inject({ method: 'GET', url: service })).json();
      if (body.status.phase === 'running') pod = body.pods[0].name as string;
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const url = (command: string[]) =>
      `ws://127.0.0.1:${(wharf.api.server.address() as AddressInfo).port}${service}/pods/${pod}/exec?${command.map((part) => `command=${encodeURIComponent(part)}`).join('&')}`;
    const container = docker.getContainer(containerName({ region: REGION, project: PROJECT, app: 'shop', service: 'shell' }, pod, 'main'));

    const wharfTimes: number[] = [];
    const directTimes: number[] = [];
    for (let i = 0; i < execs; i++) {
      wharfTimes.push(await timed(() => throughWharf(url(['true']))));
      directTimes.push(await timed(() => direct(container, ['true'])));
    }
    const wharfRates: number[] = [];
    const directRates: number[] = [];
    for (let i = 0; i < 3; i++) {
      wharfRates.push(rate(await timed(() => throughWharf(url(WRITER)))));
      directRates.push(rate(await timed(() => direct(container, WRITER))));
    }
    return { execs, wharfMs: median(wharfTimes), directMs: median(directTimes), wharfMiBps: median(wharfRates), directMiBps: median(directRates) };
  } finally {
    await wharf.close();
    const containers = await docker.listContainers({ all: true, filters: { label: [`io.wharf.region=${REGION}`] } });
    await Promise.all(containers.map((info) => docker.getContainer(info.Id).remove({ force: true }).catch(() => {})));
    await docker.getVolume(claimMarkerName(REGION)).remove().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Opens the exec, counts stdout until the status; fails unless the command succeeded and wrote what it should. */
function throughWharf(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, [V5_PROTOCOL]);
    let bytes = 0;
    let status = '';
    socket.on('message', (data: Buffer) => {
      if (data[0] === CHANNEL.stdout) bytes += data.length - 1;
      else if (data[0] === CHANNEL.status) status = data.subarray(1).toString();
    });
    socket.once('error', reject);
    socket.once('close', () => (status.includes('"Success"') ? resolve() : reject(new Error(`exec ended with ${status || 'no status'} after ${bytes} bytes`))));
  });
}

/** The floor: exec create, start hijacked, read to the end, inspect for the exit code. */
async function direct(container: Docker.Container, command: string[]): Promise<void> {
  const exec = await container.exec({ Cmd: command, AttachStdout: true, AttachStderr: true });
  const stream = (await exec.start({ hijack: true, stdin: false })) as Duplex;
  stream.resume();
  await new Promise((resolve) => stream.once('close', resolve));
  const { ExitCode } = await exec.inspect();
  if (ExitCode !== 0) throw new Error(`direct exec exited ${ExitCode}`);
}

async function timed(run: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

const rate = (ms: number): number => OUTPUT_BYTES / (1024 * 1024) / (ms / 1000);

export function formatExecBench(result: ExecBenchResult): string {
  return [
    `Exec on the Docker runtime (Wharf's WebSocket beside dockerode directly):`,
    `  \`true\`, open to status, median of ${result.execs}   Wharf ${result.wharfMs.toFixed(1).padStart(7)} ms   direct ${result.directMs.toFixed(1).padStart(7)} ms`,
    `  64 MiB of stdout, median of 3              Wharf ${result.wharfMiBps.toFixed(0).padStart(7)} MiB/s direct ${result.directMiBps.toFixed(0).padStart(7)} MiB/s`,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(`${formatExecBench(await benchExec())}\n`);
}
