import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { EventRecorder } from '../domain/events.js';
import type { Region } from '../regions.js';
import type { Commands } from '../commands/commands.js';
import type { Leadership } from '../domain/leadership.js';
import type { Store } from '../store/store.js';
import type { TokenStore } from '../store/tokens.js';
import type { AuthSettings } from './auth.js';
import type { FieldValidation } from './tolerant-reading.js';
import type { WharfMetrics } from '../metrics.js';
import type { ServiceJson } from './service-json.js';
import type { WatchHub } from './watch-hub.js';

/** What the routes work with: the store they commit to (its change feed wakes the controller) and the regions' runtimes they read. */
export interface ApiContext {
  store: Store;
  /** Every change: routes read through the store and write through these. */
  commands: Commands;
  regions: Map<string, Region>;
  tokens: TokenStore;
  /** Where routes record what they did that no store write says (an exec into a pod). */
  events: EventRecorder;
  auth: AuthSettings;
  /** Services' JSON as GET answers them, kept between reads (lists are put together from it). */
  serviceJson: ServiceJson;
  /** The state watches of services (`?watch=true`). */
  watches: WatchHub;
  /** What GET /metrics serves; the routes count every answer into it. */
  metrics: WharfMetrics;
  /** What a body's unknown fields get unless the request asks (`?fieldValidation=`). */
  fieldValidation: FieldValidation;
  /** Which replica runs each region's controller (/healthz, GET /v1/regions). */
  leadership: Leadership;
}

export type Api = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

declare module 'fastify' {
  interface FastifyRequest {
    /** The region named in the path, resolved before validation (unknown: 404 RegionNotFound). */
    region: Region;
  }
}
