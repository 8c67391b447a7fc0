import { Type, type Static } from 'typebox';
import { DEFAULT_WATCH_OPTIONS } from '../watch-hub.js';
import { StringEnum } from '../../model/schema-helpers.js';
import { PageQuery } from './page.js';

/** `?watch=true` turns a GET of services into their watch (Server-Sent Events), as on Kubernetes. */
export const WatchQuery = Type.Object({
  watch: Type.Optional(StringEnum(['true', 'false', '1', '0'], {
    description: 'true (or 1): stream the state as Server-Sent Events instead of answering it once; see the route\'s description',
  })),
});
export type WatchQuery = Static<typeof WatchQuery>;

/** A list of services: watched, or answered whole or a page at a time (a watch ignores the page). */
export const ServiceListQuery = Type.Object({ ...WatchQuery.properties, ...PageQuery.properties });

const { historySize, idleTrackingMs, sse } = DEFAULT_WATCH_OPTIONS;

/** What the OpenAPI document says of every watch, its limits included. */
export const WATCH_DESCRIPTION = [
  'With `?watch=true` the answer is `text/event-stream`: one message per change of a service\'s state, each `event: ADDED|MODIFIED|DELETED`,',
  '`id:` a sequence number and `data:` the whole service object as GET answers it (DELETED: its last state). Without a Last-Event-ID header it',
  'starts with the current state (ADDED for each service, all carrying the id of the last change). A client that reconnects with Last-Event-ID',
  `gets every message it missed if this server still keeps them (the last ${historySize} messages of all watches, for ${idleTrackingMs / 60_000} minutes`,
  'after a watch\'s last client left); otherwise it gets `event: RESET` and the current state again.',
  `A comment line is sent every ${sse.heartbeatMs / 1000} s; a client that does not read, leaving more than ${sse.maxBufferedBytes / 1024} KiB unsent,`,
  'is cut off and may reconnect with its Last-Event-ID.',
].join(' ');
