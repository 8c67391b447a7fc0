import type { IncomingMessage } from 'node:http';
import { Readable, Writable } from 'node:stream';
import type { KubeConfig } from '@kubernetes/client-node';
import WebSocket from 'ws';
import { WharfError } from '../../domain/errors.js';
import { CHANNEL, endingOf, EXEC_PROTOCOLS, frame, V5_PROTOCOL, type ExecEnding, type ExecStatus } from '../../domain/remotecommand.js';
import { isConnectionError } from '../engine-errors.js';
import type { ExecOptions, ExecSession, TerminalSize } from '../exec.js';
import type { PodRef } from '../logs.js';
import { RuntimeUnavailableError } from '../runtime.js';

/**
 * Runs a command in a pod's container through the API server's `pods/exec` subresource, over a
 * WebSocket speaking v5.channel.k8s.io (or v4). The kubeconfig's credentials and TLS settings come
 * from client-node (`applyToHTTPSOptions`, as its WebSocketHandler does — which the package does not
 * export); the socket is `ws`'s own, so that the output can pause the API server (back-pressure), a
 * refusal's Status body is read for its message, and no server message can reach this process's own
 * stdio (WebSocketHandler's default streams).
 */
const EXEC_HANDSHAKE_TIMEOUT_MS = 30_000;

export async function startKubernetesExec(config: KubeConfig, namespace: string, target: PodRef, options: ExecOptions): Promise<ExecSession> {
  const server = config.getCurrentCluster()?.server;
  if (!server) throw new Error('the kubeconfig names no cluster');
  const query = new URLSearchParams();
  for (const part of options.command) query.append('command', part);
  query.set('container', options.container);
  for (const stream of ['stdin', 'stdout', 'stderr', 'tty'] as const) query.set(stream, String(options[stream]));
  const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(target.pod)}/exec?${query}`;
  // An API server that takes the connection and never answers must not hold the exec request forever.
  const socketOptions: WebSocket.ClientOptions = { handshakeTimeout: EXEC_HANDSHAKE_TIMEOUT_MS };
  await config.applyToHTTPSOptions(socketOptions);
  const socket = new WebSocket(`${server.replace(/^http/, 'ws').replace(/\/$/, '')}${path}`, [...EXEC_PROTOCOLS], socketOptions);
  // Listening before the upgrade completes: a short command's output and status may come in the same read as the upgrade's answer.
  const attached = session(socket, options);
  await opened(socket, server, `container "${options.container}" of pod ${target.pod}`);
  return attached;
}

/** Resolves once the API server upgraded the connection; a refusal becomes the API's error, with the server's own message. */
function opened(socket: WebSocket, server: string, where: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', (error) => {
      reject(isConnectionError(error) ? new RuntimeUnavailableError(`the Kubernetes API server ${server} did not answer: ${error.message}`) : error);
    });
    socket.once('unexpected-response', (_request, response: IncomingMessage) => {
      readStatusMessage(response).then((message) => {
        const code = response.statusCode ?? 0;
        if (code === 404) reject(new WharfError('NotFound', `${where}: ${message}`));
        else if (code === 400) reject(new WharfError('InvalidArgs', `${where}: ${message}`, 'container'));
        else reject(new Error(`the Kubernetes API server ${server} refused an exec into ${where} (HTTP ${code}): ${message}`));
        socket.terminate();
      }, (error: unknown) => {
        socket.terminate();
        reject(error);
      });
    });
  });
}

async function readStatusMessage(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    const status = JSON.parse(text) as { message?: unknown };
    if (typeof status.message === 'string') return status.message;
  } catch {
    // Not a Status: a proxy's page. Its text is the message.
  }
  return text.slice(0, 500) || `HTTP ${response.statusCode}`;
}

function session(socket: WebSocket, options: ExecOptions): ExecSession {
  const output = (): Readable => new Readable({ read: () => socket.resume() });
  const stdout = output();
  const stderr = output();
  let status: Partial<ExecStatus> | undefined;
  let lastError: Error | undefined;
  socket.on('message', (data: Buffer) => {
    const payload = data.subarray(1);
    switch (data[0]) {
      case CHANNEL.stdout:
        if (!stdout.push(payload)) socket.pause();
        break;
      case CHANNEL.stderr:
        if (!stderr.push(payload)) socket.pause();
        break;
      case CHANNEL.status:
        status = parseStatus(payload);
        break;
    }
  });
  socket.on('error', (error) => (lastError = error));
  const ending = new Promise<ExecEnding>((resolve) => {
    socket.once('close', () => {
      stdout.push(null);
      stderr.push(null);
      if (status) resolve(endingOf(status));
      else resolve({ failure: `the API server closed the exec stream without a status${lastError ? `: ${lastError.message}` : ''}` });
    });
  });
  const send = (message: Buffer, callback: (error?: Error | null) => void): void => {
    if (socket.readyState !== WebSocket.OPEN) callback(new Error('the exec stream to the API server is closed'));
    else socket.send(message, callback);
  };
  const stdin = new Writable({
    write: (chunk: Buffer, _encoding, callback) => send(frame(CHANNEL.stdin, chunk), callback),
    // v4 cannot say "stdin closed" without closing everything: the command then reads on until it ends.
    final: (callback) => (socket.protocol === V5_PROTOCOL ? send(Buffer.from([CHANNEL.close, CHANNEL.stdin]), callback) : callback()),
  });
  if (!options.stdout) stdout.resume();
  if (!options.stderr) stderr.resume();
  return {
    stdin: options.stdin ? stdin : undefined,
    stdout: options.stdout ? stdout : undefined,
    stderr: options.stderr && !options.tty ? stderr : undefined,
    resize: ({ width, height }: TerminalSize) =>
      new Promise<void>((resolve, reject) => send(frame(CHANNEL.resize, JSON.stringify({ Width: width, Height: height })), (error) => (error ? reject(error) : resolve()))),
    ending,
    close: () => socket.close(),
  };
}

function parseStatus(payload: Buffer): Partial<ExecStatus> {
  try {
    return JSON.parse(payload.toString('utf8')) as Partial<ExecStatus>;
  } catch {
    return { status: 'Failure', message: `the API server sent a status that is not JSON: ${payload.toString('utf8').slice(0, 200)}` };
  }
}
