import type { IncomingMessage } from 'node:http';

/** How much of a refused body is read and thrown away, at the most, so its sender sees the answer. */
export const LINGER = { maxBytes: 64 * 1024 * 1024, timeoutMs: 10_000 };

/**
 * Reads and discards the rest of a request body that will not be used (a 413), as nginx's
 * lingering close does: a client still writing its body when the server answers and closes gets
 * EPIPE or a reset instead of the answer (Node's http and fetch do). Past `maxBytes` or
 * `timeoutMs` it stops waiting: the answer goes out and the connection closes anyway.
 */
export function discardBody(request: IncomingMessage, limits = LINGER): Promise<void> {
  if (request.complete || request.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let received = 0;
    const done = (): void => {
      clearTimeout(timer);
      request.off('data', count).off('end', done).off('error', done).off('close', done);
      resolve();
    };
    const count = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > limits.maxBytes) done();
    };
    const timer = setTimeout(done, limits.timeoutMs);
    request.on('data', count).once('end', done).once('error', done).once('close', done);
    request.resume();
  });
}
