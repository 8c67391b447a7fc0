import { pipeline, type Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Answers 200 with `body` as text/plain, streamed as it comes. The headers go at once, so a client
 * following a quiet log sees the answer before the first line. The reply is hijacked (as SseStream
 * does), so the headers hooks set (the request id) are copied over. The client going destroys
 * `body`, which closes the engine's stream behind it.
 */
export function sendText(request: FastifyRequest, reply: FastifyReply, body: Readable): FastifyReply {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    // nginx buffers a response unless told not to, which would hold a followed log back.
    'x-accel-buffering': 'no',
  });
  raw.flushHeaders();
  pipeline(body, raw, (error) => {
    if (error && (error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') request.log.warn({ err: error }, 'a log stream failed');
  });
  return reply;
}
