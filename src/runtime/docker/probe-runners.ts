import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type Docker from 'dockerode';
import type { Probe } from '../../model/probe.js';
import { engineMessage } from './client.js';

/** One probe's answer: healthy or not, and why not in a few words (`HTTP 500`, `connect ECONNREFUSED …`). */
export interface ProbeOutcome {
  ok: boolean;
  message: string;
}

/** Where a probe goes: the pod's address on its project network, and the container for exec. */
export interface ProbeAddress {
  /** The sandbox's IP on the project network; undefined while Docker reports none. */
  ip?: string;
  containerId: string;
}

export type ProbeRunner = (address: ProbeAddress, probe: Probe) => Promise<ProbeOutcome>;

// Kubelet keeps at most 10 KiB of an exec probe's output; a few hundred bytes make a status message.
const OUTPUT_LIMIT = 256;

/**
 * Runs probes as the kubelet does: HTTP and TCP from this process to the pod's address, exec
 * through the Engine's exec API. Every probe settles within its timeoutSeconds.
 */
export function engineProbeRunner(docker: Docker): ProbeRunner {
  return (address, probe) => {
    const timeoutMs = probe.timeoutSeconds * 1000;
    if (probe.exec) return withTimeout(timeoutMs, (signal) => execProbe(docker, address.containerId, probe.exec!.command, signal));
    if (!address.ip) return Promise.resolve({ ok: false, message: 'the pod has no address on its project network' });
    const ip = address.ip;
    if (probe.httpGet) return withTimeout(timeoutMs, (signal) => httpProbe(ip, probe.httpGet!, signal));
    if (probe.tcpSocket) return withTimeout(timeoutMs, (signal) => tcpProbe(ip, probe.tcpSocket!.port, signal));
    return Promise.resolve({ ok: false, message: 'the probe has no handler' });
  };
}

/** Runs `probe` and fails it after `timeoutMs`, aborting what it does; no error escapes. */
async function withTimeout(timeoutMs: number, probe: (signal: AbortSignal) => Promise<ProbeOutcome>): Promise<ProbeOutcome> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<ProbeOutcome>((resolve) => {
    timer = setTimeout(() => {
      abort.abort();
      resolve({ ok: false, message: `timed out after ${timeoutMs / 1000} s` });
    }, timeoutMs);
  });
  try {
    return await Promise.race([probe(abort.signal).catch((error: unknown) => ({ ok: false, message: errorText(error) })), timedOut]);
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}

/** Healthy: a status from 200 to 399. HTTPS does not verify the certificate, as the kubelet does not. */
function httpProbe(ip: string, httpGet: NonNullable<Probe['httpGet']>, signal: AbortSignal): Promise<ProbeOutcome> {
  // Kubernetes sends a header named twice with both values; one the probe names replaces the default.
  const given = new Map<string, string[]>();
  for (const { name, value } of httpGet.httpHeaders) given.set(name.toLowerCase(), [...(given.get(name.toLowerCase()) ?? []), value]);
  const headers: Record<string, string | string[]> = {
    'user-agent': 'wharf-probe',
    accept: '*/*',
    ...Object.fromEntries([...given].map(([name, values]) => [name, values.length === 1 ? values[0]! : values])),
  };
  const request = httpGet.scheme === 'HTTPS' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const call = request({ host: ip, port: httpGet.port, path: httpGet.path, method: 'GET', headers, agent: false, rejectUnauthorized: false, signal }, (response: IncomingMessage) => {
      const status = response.statusCode ?? 0;
      response.resume();
      call.destroy();
      resolve({ ok: status >= 200 && status < 400, message: `HTTP ${status}` });
    });
    call.on('error', reject);
    call.end();
  });
}

/** Healthy: the port accepts a connection. */
function tcpProbe(ip: string, port: number, signal: AbortSignal): Promise<ProbeOutcome> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: ip, port, signal });
    socket.once('connect', () => {
      socket.destroy();
      resolve({ ok: true, message: `connected to ${ip}:${port}` });
    });
    socket.once('error', reject);
  });
}

/**
 * Healthy: the command exits 0. It runs without a shell, as Kubernetes runs it. An exec that
 * outlives its timeout keeps running in the container: the Engine API cannot stop one.
 */
async function execProbe(docker: Docker, containerId: string, command: string[], signal: AbortSignal): Promise<ProbeOutcome> {
  const exec = await docker.getContainer(containerId).exec({ Cmd: command, AttachStdout: true, AttachStderr: true, Tty: false });
  const stream = await exec.start({ hijack: true, stdin: false });
  const output = await new Promise<string>((resolve, reject) => {
    let collected = Buffer.alloc(0);
    const stop = (): void => {
      stream.destroy();
      reject(new Error('aborted'));
    };
    if (signal.aborted) return stop();
    signal.addEventListener('abort', stop, { once: true });
    stream.on('data', (chunk: Buffer) => {
      if (collected.length < OUTPUT_LIMIT * 4) collected = Buffer.concat([collected, chunk]);
    });
    stream.on('error', reject);
    stream.on('end', () => {
      signal.removeEventListener('abort', stop);
      resolve(demuxed(collected));
    });
  });
  const { ExitCode: exitCode } = await exec.inspect();
  if (exitCode === 0) return { ok: true, message: 'exit code 0' };
  const said = output.trim().slice(0, OUTPUT_LIMIT);
  return { ok: false, message: `exit code ${exitCode ?? 'unknown'}${said ? `: ${said}` : ''}` };
}

/**
 * The text of a multiplexed exec stream (Tty false): frames of an 8-byte header (stream, 3 zero
 * bytes, big-endian size) and their payload, stdout and stderr interleaved as they came.
 */
export function demuxed(raw: Buffer): string {
  const parts: Buffer[] = [];
  for (let at = 0; at + 8 <= raw.length; ) {
    const size = raw.readUInt32BE(at + 4);
    parts.push(raw.subarray(at + 8, Math.min(at + 8 + size, raw.length)));
    at += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}

function errorText(error: unknown): string {
  if ((error as { statusCode?: unknown } | null)?.statusCode !== undefined) return engineMessage(error);
  return error instanceof Error ? error.message : String(error);
}
