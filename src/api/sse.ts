import type { FastifyReply, FastifyRequest } from 'fastify';

/** How a Server-Sent Events stream treats its client; every watch route uses the defaults unless a test needs less time. */
export interface SseOptions {
  /** A comment line this often keeps proxies from closing an idle stream and shows a dead client. */
  heartbeatMs: number;
  /**
   * What may wait in the socket's buffer for a client that does not read. Past it the stream is cut
   * off rather than buffered without bound; the client reconnects with Last-Event-ID and resumes.
   */
  maxBufferedBytes: number;
  /** Sent as `retry:`: how long an EventSource waits before it reconnects. */
  retryMs: number;
}

export const SSE_CONTENT_TYPE = 'text/event-stream';

export const DEFAULT_SSE_OPTIONS: SseOptions = { heartbeatMs: 15_000, maxBufferedBytes: 1024 * 1024, retryMs: 1000 };

export interface SseMessage {
  /** What a client resumes from: it sends the last one it saw as Last-Event-ID. */
  id?: string;
  /** The `event:` field; an EventSource dispatches `message` when absent. */
  event?: string;
  /** Sent as one line of JSON. */
  data: unknown;
}

/** One message as it goes on the wire: `id:`, `event:` and one `data:` line of JSON. */
export function encodeSse({ id, event, data }: SseMessage): string {
  return encodeSseJson(id, event, JSON.stringify(data));
}

/** A message whose data is serialized already (JSON has no raw newline, so it is one `data:` line). */
export function encodeSseJson(id: string | undefined, event: string | undefined, json: string): string {
  return `${id === undefined ? '' : `id: ${id}\n`}${event === undefined ? '' : `event: ${event}\n`}data: ${json}\n\n`;
}

/**
 * One Server-Sent Events response (text/event-stream). The reply is hijacked: Fastify no longer
 * sends it, so the headers set by hooks (the request id) are copied over here.
 */
export class SseStream {
  private closed = false;
  /** What the first messages (sendInitial) add to maxBufferedBytes until the buffer is back under it. */
  private allowance = 0;
  private readonly closeListeners: (() => void)[] = [];
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly request: FastifyRequest, private readonly reply: FastifyReply, private readonly options: SseOptions = DEFAULT_SSE_OPTIONS) {
    reply.hijack();
    const raw = reply.raw;
    const headers = {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': `${SSE_CONTENT_TYPE}; charset=utf-8`,
      'cache-control': 'no-cache',
      // nginx buffers a response unless told not to, which would hold every message back.
      'x-accel-buffering': 'no',
    };
    // Set one by one, not passed to writeHead: only so does `getHeader` see them (the metrics hook tells a watch by its type).
    for (const [name, value] of Object.entries(headers)) raw.setHeader(name, value);
    raw.writeHead(200);
    raw.write(`retry: ${options.retryMs}\n\n`);
    this.heartbeat = setInterval(() => this.write(': heartbeat\n\n'), options.heartbeatMs);
    this.heartbeat.unref();
    raw.on('close', () => this.close());
    // The client may have left while the route prepared its answer: 'close' has been and gone.
    if (raw.destroyed) this.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Sends one message; false once the stream is closed (the client left or was cut off). */
  send(message: SseMessage): boolean {
    return this.write(encodeSse(message));
  }

  /**
   * Sends a message encoded once by encodeSse or encodeSseJson: what a change sent to many streams costs once,
   * not once per client.
   */
  sendEncoded(frame: string): boolean {
    return this.write(frame);
  }

  /**
   * Sends what a client gets first at once (a watch's current state, however large): it does not
   * count against maxBufferedBytes until it has been taken, so only a backlog that grows after it
   * cuts the client off.
   */
  sendInitial(frames: string[]): boolean {
    const text = frames.join('');
    this.allowance = text.length;
    return this.write(text);
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    if (!this.reply.raw.writableEnded) this.reply.raw.end();
    for (const listener of this.closeListeners.splice(0)) listener();
  }

  private write(text: string): boolean {
    if (this.closed) return false;
    const raw = this.reply.raw;
    raw.write(text);
    if (raw.writableLength <= this.options.maxBufferedBytes) this.allowance = 0;
    else if (raw.writableLength > this.options.maxBufferedBytes + this.allowance) {
      this.request.log.warn({ bufferedBytes: raw.writableLength }, 'watch cut off: its client does not read fast enough');
      this.closed = true;
      clearInterval(this.heartbeat);
      raw.destroy();
      for (const listener of this.closeListeners.splice(0)) listener();
      return false;
    }
    return true;
  }
}
