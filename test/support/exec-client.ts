import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { CHANNEL, V5_PROTOCOL } from '../../src/domain/remotecommand.js';

/** An exec's query: `command` repeated, the flags as Kubernetes reads them. */
export function execQuery(command: string[], flags: { container?: string; stdin?: boolean; stdout?: boolean; stderr?: boolean; tty?: boolean } = {}): string {
  const query = new URLSearchParams();
  for (const part of command) query.append('command', part);
  for (const [name, value] of Object.entries(flags)) if (value !== undefined) query.set(name, String(value));
  return query.toString();
}

export interface ExecConnect {
  /** Sent as X-Auth-Token unless `headers` says otherwise. */
  token?: string;
  protocols?: string[];
  headers?: Record<string, string>;
}

/** An HTTP answer to an upgrade: the server refused it. */
export class ExecRefused extends Error {
  constructor(readonly status: number, readonly body: any) {
    super(`the exec upgrade was refused: ${status} ${JSON.stringify(body)}`);
  }
}

/**
 * A client of Kubernetes' exec protocol for tests, as kubectl speaks it: output gathered per
 * channel, stdin, resize and (v5) stdin's close sent, the status and the close awaited.
 */
export class ExecClient {
  stdout = '';
  stderr = '';
  /** Every channel byte received, in order. */
  readonly channels: number[] = [];
  /** The status message (channel 3), parsed; resolves when the server closes, undefined if it sent none. */
  readonly status: Promise<any>;
  private statusValue: any;
  private readonly waiters = new Set<() => void>();

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      this.channels.push(data[0]!);
      const text = data.subarray(1).toString('utf8');
      if (data[0] === CHANNEL.stdout) this.stdout += text;
      else if (data[0] === CHANNEL.stderr) this.stderr += text;
      else if (data[0] === CHANNEL.status) this.statusValue = JSON.parse(text);
      for (const waiter of this.waiters) waiter();
    });
    this.status = new Promise((resolve) => socket.once('close', () => resolve(this.statusValue)));
  }

  get protocol(): string {
    return this.socket.protocol;
  }

  static open(url: string, options: ExecConnect = {}): Promise<ExecClient> {
    const headers = { ...(options.token === undefined ? {} : { 'x-auth-token': options.token }), ...options.headers };
    const socket = new WebSocket(url, options.protocols ?? [V5_PROTOCOL], { headers });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new ExecClient(socket)));
      socket.once('error', reject);
      socket.once('unexpected-response', (_request, response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // Not JSON: kept as text.
          }
          reject(new ExecRefused(response.statusCode ?? 0, body));
          socket.terminate();
        });
      });
    });
  }

  /** The HTTP answer to an upgrade expected to be refused. */
  static async refusal(url: string, options: ExecConnect = {}): Promise<{ status: number; body: any }> {
    try {
      const client = await ExecClient.open(url, options);
      client.socket.terminate();
    } catch (error) {
      if (error instanceof ExecRefused) return { status: error.status, body: error.body };
      throw error;
    }
    throw new Error(`the upgrade to ${url} was accepted`);
  }

  sendStdin(text: string): void {
    this.socket.send(Buffer.concat([Buffer.from([CHANNEL.stdin]), Buffer.from(text)]));
  }

  /** v5's "stdin closed": the command reads EOF. */
  closeStdin(): void {
    this.socket.send(Buffer.from([CHANNEL.close, CHANNEL.stdin]));
  }

  resize(width: number, height: number): void {
    this.socket.send(Buffer.concat([Buffer.from([CHANNEL.resize]), Buffer.from(JSON.stringify({ Width: width, Height: height }))]));
  }

  /** Resolves once stdout matches `pattern` (fails after `timeoutMs`, naming what came). */
  waitForStdout(pattern: RegExp, timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!pattern.test(this.stdout)) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`stdout never matched ${pattern}; got ${JSON.stringify(this.stdout)}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  close(): void {
    this.socket.close();
  }
}
