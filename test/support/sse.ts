import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Api } from '../../src/api/context.js';

/** One Server-Sent Events message as a client sees it. */
export interface SseEvent {
  id?: string;
  event?: string;
  data: any;
}

/** Starts the in-process Wharf's server on a free loopback port (a watch needs a real connection: inject waits for the end). */
export async function listen(api: Api): Promise<string> {
  await api.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
}

/**
 * A watch as a test reads it: every message and heartbeat comment, in order. `open` resolves with
 * the answer's status; a refusal (4xx) carries its JSON body and no stream.
 */
export class SseClient {
  readonly events: SseEvent[] = [];
  heartbeats = 0;
  ended = false;
  private buffered = '';
  private readonly waiters = new Set<() => void>();

  private constructor(private readonly request: ClientRequest, readonly response: IncomingMessage) {
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => this.receive(chunk));
    const end = (): void => {
      this.ended = true;
      this.wake();
    };
    response.on('end', end);
    response.on('close', end);
    response.on('error', end);
  }

  static open(url: string, headers: Record<string, string>): Promise<{ status: number; body?: any; client?: SseClient }> {
    return new Promise((resolve, reject) => {
      const request = httpRequest(url, { headers: { accept: 'text/event-stream', ...headers }, agent: false });
      request.on('error', reject);
      request.on('response', (response) => {
        if (response.statusCode !== 200 || !String(response.headers['content-type']).startsWith('text/event-stream')) {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text === '' ? undefined : JSON.parse(text) }));
          return;
        }
        resolve({ status: 200, client: new SseClient(request, response) });
      });
      request.end();
    });
  }

  /** The id of the last message received: what an EventSource sends as Last-Event-ID when it reconnects. */
  get lastEventId(): string | undefined {
    for (let index = this.events.length - 1; index >= 0; index--) if (this.events[index]!.id !== undefined) return this.events[index]!.id;
    return undefined;
  }

  /** Resolves with every message so far once `predicate` holds of them; fails after `timeoutMs` with what came. */
  async until(predicate: (events: SseEvent[]) => boolean, timeoutMs = 15_000, what = 'the expected messages'): Promise<SseEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.events)) {
      if (this.ended) throw new Error(`the stream ended before ${what}; got ${this.describe()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms; got ${this.describe()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.add(done);
      });
    }
    return this.events;
  }

  /** Resolves once the server ended the stream; fails after `timeoutMs`. */
  async ending(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error(`the stream was not ended within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Drops the connection, as a client that lost its network does. */
  close(): void {
    this.request.destroy();
    this.ended = true;
  }

  private receive(chunk: string): void {
    this.buffered += chunk;
    let end: number;
    while ((end = this.buffered.indexOf('\n\n')) >= 0) {
      const block = this.buffered.slice(0, end);
      this.buffered = this.buffered.slice(end + 2);
      const message: { id?: string; event?: string; data?: string } = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) this.heartbeats++;
        else if (line.startsWith('id: ')) message.id = line.slice(4);
        else if (line.startsWith('event: ')) message.event = line.slice(7);
        else if (line.startsWith('data: ')) message.data = line.slice(6);
      }
      if (message.data !== undefined) this.events.push({ ...message, data: JSON.parse(message.data) });
    }
    this.wake();
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
    this.waiters.clear();
  }

  private describe(): string {
    return JSON.stringify(this.events.map((event) => [event.id, event.event, event.data?.status ?? event.data]).slice(-10));
  }
}
