import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { invalidArgs } from '../../domain/errors.js';
import { V2_APP } from '../../domain/keys.js';
import type { EventRecord, EventScope, EventStore } from '../../store/events.js';
import type { Api, ApiContext } from '../context.js';
import { ERROR_RESPONSES, ProjectParams } from '../schemas/common.js';
import { Event, EventsQuery } from '../schemas/event.js';
import { SseStream } from '../sse.js';
import { serviceKey, serviceParams, type ServiceScope } from './refs.js';

const WATCH_DESCRIPTION =
  'Oldest first (in the order they were recorded; a repeat moves an event to the end with a new id). ' +
  'Events are kept per service up to a count and an age (`events.maxPerService`, default 100; `events.maxAgeSeconds`, default 24 h) ' +
  'and are deleted with their service. `?watch=true` answers text/event-stream instead: the list (after the Last-Event-ID header ' +
  'when a client resumes), then every event recorded or repeated, each with `id:` its event id; heartbeat comments every 15 s; ' +
  'a client that does not read is cut off and resumes with Last-Event-ID.';

/** The events of one service, in one API version's scope (see ServiceScope). */
export function serviceEventRoutes(api: Api, { store }: ApiContext, scope: ServiceScope): void {
  const streams = openStreams(api);
  api.get(
    `${scope.services}/:service/events`,
    {
      schema: {
        tags: ['events'],
        summary: 'The events of a microservice, its pods and containers (watch=true: a Server-Sent Events stream)',
        description: WATCH_DESCRIPTION,
        params: serviceParams(scope),
        querystring: EventsQuery,
        response: { 200: Type.Array(Event), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const key = serviceKey(request);
      // 404 for a service (or app) that does not exist, before anything is streamed.
      await store.getService(key);
      return answer(store.events, { service: key }, request.query, request, reply, streams);
    },
  );
}

/** The events of every service of a project in the region. */
export function projectEventRoutes(api: Api, { store }: ApiContext): void {
  const streams = openStreams(api);
  api.get(
    '/projects/:project/events',
    {
      schema: {
        tags: ['events'],
        summary: 'The events of every microservice of a project (watch=true: a Server-Sent Events stream)',
        description: WATCH_DESCRIPTION,
        params: ProjectParams,
        querystring: EventsQuery,
        response: { 200: Type.Array(Event), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => answer(store.events, { region: request.params.region, project: request.params.project }, request.query, request, reply, streams),
  );
}

/** The list, or (watch=true) a stream that answers the request itself: the handler then returns nothing. */
async function answer(
  events: EventStore,
  scope: EventScope,
  query: EventsQuery,
  request: FastifyRequest,
  reply: FastifyReply,
  streams: Set<SseStream>,
): Promise<Event[] | undefined> {
  const since = parseSince(query.since);
  if (query.watch !== 'true') return (await events.list(scope, { since })).map(eventView);
  const afterId = parseLastEventId(request.headers['last-event-id']);
  const stream = new SseStream(request, reply);
  streams.add(stream);
  stream.onClose(() => streams.delete(stream));
  watch(events, scope, { since, afterId }, stream, request.log);
  return undefined;
}

/**
 * The watches open on these routes. A watch never ends by itself, and the server's close waits for
 * every connection: they are ended first (their clients reconnect, to another replica or later).
 */
function openStreams(api: Api): Set<SseStream> {
  const streams = new Set<SseStream>();
  api.addHook('preClose', (done) => {
    for (const stream of streams) stream.close();
    done();
  });
  return streams;
}

/**
 * Streams the events after the cursor, then again each time events are committed. The store is
 * read by id, which grows in commit order, so no event is missed between two reads, and a
 * notification that comes while a read runs makes another read once it ends.
 */
function watch(events: EventStore, scope: EventScope, start: { since?: string; afterId: number }, stream: SseStream, log: FastifyBaseLogger): void {
  let cursor = start.afterId;
  let reading = false;
  let again = false;
  const read = async (): Promise<void> => {
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    try {
      do {
        again = false;
        for (const event of await events.list(scope, { since: start.since, afterId: cursor })) {
          if (!stream.send({ id: String(event.id), data: eventView(event) })) return;
          cursor = event.id;
        }
      } while (again && !stream.isClosed);
    } catch (error) {
      // The client reconnects with its Last-Event-ID and misses nothing.
      log.error({ err: error }, 'events watch ended: reading the events failed');
      stream.close();
    } finally {
      reading = false;
    }
  };
  const wake = (): void => void read();
  // Listening before the first read: what commits during it is read after it.
  const stopListening = events.onRecorded(wake);
  stream.onClose(() => stopListening());
  wake();
}

function parseSince(text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined;
  const time = Date.parse(text);
  if (!RFC_3339.test(text) || Number.isNaN(time)) {
    throw invalidArgs(`since must be an RFC 3339 time such as 2026-01-31T08:00:00Z, got "${text}"`, 'since');
  }
  return new Date(time).toISOString();
}

const RFC_3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** The id a reconnecting EventSource sends; none: from the start of what is kept. */
function parseLastEventId(header: string | string[] | undefined): number {
  if (header === undefined || header === '') return 0;
  const text = Array.isArray(header) ? header[0]! : header;
  if (!/^[0-9]{1,15}$/.test(text)) throw invalidArgs(`the Last-Event-ID header must be an event id (a whole number), got "${text}"`, 'Last-Event-ID');
  return Number(text);
}

export function eventView(event: EventRecord): Event {
  return {
    id: event.id,
    time: event.time,
    firstTime: event.firstTime,
    count: event.count,
    type: event.type,
    reason: event.reason,
    message: event.message,
    service: event.key.service,
    ...(event.key.app === V2_APP ? {} : { app: event.key.app }),
    ...(event.pod === undefined ? {} : { pod: event.pod }),
    ...(event.container === undefined ? {} : { container: event.container }),
    ...(event.revision === undefined ? {} : { revision: event.revision }),
  };
}
