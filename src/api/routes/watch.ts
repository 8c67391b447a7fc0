import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiContext } from '../context.js';
import { SseStream } from '../sse.js';
import type { WatchScope } from '../watch-hub.js';
import type { WatchQuery } from '../schemas/watch.js';

/** Whether a GET asked for its watch (`?watch=true` or `1`): a property read, so plain GETs pay nothing more. */
export function wantsWatch(query: WatchQuery): boolean {
  return query.watch === 'true' || query.watch === '1';
}

/**
 * Answers a GET with the watch of `scope`. A missing service or app is refused as GET refuses it,
 * before the stream opens; then the stream stays open until the client leaves or is cut off.
 */
export async function streamWatch({ watches }: ApiContext, request: FastifyRequest, reply: FastifyReply, scope: WatchScope): Promise<void> {
  const header = request.headers['last-event-id'];
  const watcher = await watches.subscribe(scope, typeof header === 'string' && header !== '' ? header : undefined);
  try {
    watcher.attach(new SseStream(request, reply, watches.options.sse));
  } catch (error) {
    watcher.close();
    throw error;
  }
}
