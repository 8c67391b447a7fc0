import type { IncomingMessage } from 'node:http';
import type WebSocket from 'ws';
import { CliApiError, UsageError } from './errors.js';

/** Where a client sends its requests: what a context (or WHARF_URL, WHARF_TOKEN, --region, --project) names. */
export interface Target {
  url: string;
  token?: string;
  region: string;
  /** Unset until a command needs one: `projectPath` then asks for it. */
  project?: string;
}

/** One Server-Sent Events message: `id:`, `event:` and its `data:` parsed as JSON. */
export interface SseMessage<Data = unknown> {
  id?: string;
  event?: string;
  data: Data;
}

export interface SseOptions {
  signal?: AbortSignal;
  /** Resume after this id (the server then sends only what came after it). */
  lastEventId?: string;
}

/**
 * A small client of Wharf's HTTP API on fetch. Bodies are typed by the caller with the server's
 * own schemas (`Static<typeof …>`), so the shapes have one definition; test/cli/client-paths.test.ts
 * checks every path the CLI calls against the server's /openapi.json.
 */
export class WharfClient {
  constructor(readonly target: Target) {}

  /** `/regions/<region>/v1`: the prefix of every regional V1 route. */
  get regionPath(): string {
    return `/regions/${encodeURIComponent(this.target.region)}/v1`;
  }

  /** The project commands act in; a command that needs one and has none is a usage error. */
  get project(): string {
    if (!this.target.project) throw new UsageError('no project: pass --project, or store one with `wharf login <url> --project P`');
    return this.target.project;
  }

  /** `/regions/<r>/v1/projects/<p>`. */
  get projectPath(): string {
    return `${this.regionPath}/projects/${encodeURIComponent(this.project)}`;
  }

  /** `/regions/<r>/v2/projects/<p>`: the KE SDK's V2 routes, services directly under the project. */
  get projectV2Path(): string {
    return `/regions/${encodeURIComponent(this.target.region)}/v2/projects/${encodeURIComponent(this.project)}`;
  }

  /** The parsed JSON answer (undefined for 204/202 without a body); a 4xx/5xx throws CliApiError. */
  async request<Answer>(method: string, path: string, body?: unknown): Promise<Answer> {
    const response = await this.fetch(path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return (text === '' ? undefined : JSON.parse(text)) as Answer;
  }

  /** A streamed text answer (logs), chunk by chunk as the server writes it; ends with the answer or the signal. */
  async *text(path: string, signal?: AbortSignal): AsyncGenerator<string> {
    const response = await this.fetch(path, { signal });
    if (!response.body) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body) yield decoder.decode(chunk as Uint8Array, { stream: true });
    } catch (error) {
      if (!signal?.aborted) throw error;
    }
  }

  /**
   * The messages of a watch (`?watch=true`). When the server ends the stream (it cuts off a client
   * that reads too slowly, or restarts) the client reconnects with the last id it saw, as an
   * EventSource does, so a caller sees every message once. Ends when `signal` aborts.
   */
  async *sse<Data = unknown>(path: string, options: SseOptions = {}): AsyncGenerator<SseMessage<Data>> {
    let lastEventId = options.lastEventId;
    while (!options.signal?.aborted) {
      const response = await this.fetch(path, {
        signal: options.signal,
        headers: { accept: 'text/event-stream', ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }) },
      });
      if (!response.body) return;
      try {
        for await (const message of parseSse<Data>(response.body)) {
          if (message.id !== undefined) lastEventId = message.id;
          yield message;
        }
      } catch (error) {
        if (options.signal?.aborted) return;
        throw error;
      }
    }
  }

  /**
   * A WebSocket to `path` (exec), the token in its header. A refusal comes before the upgrade as an
   * HTTP answer with the API's error body: it rejects as CliApiError, as `request` does. It comes
   * paused: frames sent with the upgrade's answer would otherwise be emitted before the caller,
   * a promise turn later, listens for them (an exec's whole output, lost); resume it once listening.
   */
  async webSocket(path: string, protocols: readonly string[]): Promise<WebSocket> {
    // Loaded here, for exec alone: ws costs every other command a noticeable part of its start.
    const { default: WebSocket } = await import('ws');
    const url = new URL(path, this.target.url);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(url, [...protocols], { headers: this.target.token === undefined ? {} : { 'x-auth-token': this.target.token } });
    return new Promise((resolve, reject) => {
      socket.once('open', () => {
        socket.pause();
        resolve(socket);
      });
      socket.once('error', (error) => reject(new CliApiError(0, 'Unreachable', `cannot reach ${this.target.url}: ${error.message}`)));
      socket.once('unexpected-response', (_request, response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          socket.terminate();
          reject(errorOfBody(response.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), response.statusMessage ?? ''));
        });
      });
    });
  }

  private async fetch(path: string, init: RequestInit): Promise<Response> {
    const headers = { ...(this.target.token === undefined ? {} : { 'x-auth-token': this.target.token }), ...(init.headers as Record<string, string>) };
    let response: Response;
    try {
      response = await fetch(new URL(path, this.target.url), { ...init, headers });
    } catch (error) {
      if (init.signal?.aborted) throw error;
      const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
      throw new CliApiError(0, 'Unreachable', `cannot reach ${this.target.url}: ${cause}`);
    }
    if (response.status >= 400) throw await apiError(response);
    return response;
  }
}

async function apiError(response: Response): Promise<CliApiError> {
  return errorOfBody(response.status, await response.text(), response.statusText);
}

/** The API's `{error, message, key?}`; a body that is not one (a proxy's page) is kept as the message. */
function errorOfBody(status: number, text: string, statusText: string): CliApiError {
  try {
    const body = JSON.parse(text) as { error?: string; message?: string; key?: string };
    return new CliApiError(status, body.error ?? `HTTP ${status}`, body.message ?? text, body.key);
  } catch {
    return new CliApiError(status, `HTTP ${status}`, text || statusText);
  }
}

/** The wire format of src/api/sse.ts: blocks separated by a blank line; comments (heartbeats) and `retry:` skipped. */
async function* parseSse<Data>(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage<Data>> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of body) {
    buffered += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const message: { id?: string; event?: string; data?: string } = {};
      for (const line of block.split('\n')) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const field = line.slice(0, colon);
        const value = line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') message.id = value;
        else if (field === 'event') message.event = value;
        else if (field === 'data') message.data = message.data === undefined ? value : `${message.data}\n${value}`;
      }
      if (message.data !== undefined) yield { id: message.id, event: message.event, data: JSON.parse(message.data) as Data };
    }
  }
}
