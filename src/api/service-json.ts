import fastJson from 'fast-json-stringify';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { keyString, type ServiceKey } from '../domain/keys.js';
import { nextAvailableInMs } from '../domain/rollout.js';
import type { DesiredService } from '../domain/service.js';
import { EventLoopShare, nextTurn } from '../event-loop.js';
import type { Region } from '../regions.js';
import type { AppRecord, Store } from '../store/store.js';
import { serviceView } from './present.js';
import { App } from './schemas/app.js';
import { Service } from './schemas/microservice.js';

// Compiled as Fastify compiles a route's response schema: the same bytes a route returning the object sends.
const serializeService = fastJson(Service);
const serializeAppFields = fastJson(Type.Omit(App, ['microservices']));

const MAX_ENTRIES = 50_000;
const MAX_LISTS = 1_000;
/** A list is built in slices of about this long, with a turn of the event loop between: other requests wait no longer. */
const SLICE_MS = 4;
const JSON_BODY = 'application/json; charset=utf-8';

interface Entry {
  /** The store's cached state it was made from: a write makes a new one, so a mismatch means stale. */
  desired: DesiredService;
  known: boolean;
  /** When a pod becomes available by time alone (minReadySeconds), which no engine event tells. */
  freshUntil: number;
  json: Buffer;
}

/**
 * Each service's JSON as GET answers it, serialized once and served again until it may differ:
 * until a write (the store's next state is another object, and its change feed names the service),
 * an engine change of its pods (Region.changes), a change of the engine's reachability, or the
 * moment a pod becomes available by time alone. Lists of services and apps are put together from
 * these pieces without serializing or measuring them again: at a thousand services a list costs a
 * few milliseconds instead of tens, which every other request used to wait out.
 */
export class ServiceJson {
  private readonly entries = new Map<string, Entry>();
  private readonly lists = new Map<string, { parts: Part[]; body: Buffer }>();

  constructor(store: Pick<Store, 'onCommit'>, regions: Map<string, Region>) {
    const forget = (key: ServiceKey): void => {
      this.entries.delete(keyString(key));
    };
    store.onCommit((keys) => keys.forEach(forget));
    for (const region of regions.values()) region.changes.listen(forget);
  }

  /** One service. */
  of(desired: DesiredService, region: Region): Buffer {
    const id = keyString(desired.key);
    const now = Date.now();
    const { runtime } = region;
    const entry = this.entries.get(id);
    if (entry?.desired === desired && entry.known === runtime.known && now < entry.freshUntil) return entry.json;
    const observed = runtime.observe(desired.key);
    const json = Buffer.from(serializeService(serviceView(desired, observed, now)));
    const freshUntil = now + (nextAvailableInMs(observed.pods, desired.rollout.minReadySeconds, now) ?? Infinity);
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(id, { desired, known: observed.known, freshUntil, json });
    return json;
  }

  /** A JSON array of services; `listId` names what it lists (see `assembled`). */
  async list(listId: string, states: readonly DesiredService[], region: Region): Promise<Buffer> {
    const parts: Part[] = ['['];
    await this.sliced(states, (state, index) => {
      if (index > 0) parts.push(',');
      parts.push(this.of(state, region));
    });
    parts.push(']');
    return this.assembled(listId, parts);
  }

  /** One app with its services. */
  app(app: AppRecord, region: Region): Buffer {
    return joined(this.appParts(app, region, []));
  }

  /** A JSON array of the apps of a project, with their services. */
  async apps(listId: string, apps: readonly AppRecord[], region: Region): Promise<Buffer> {
    const parts: Part[] = ['['];
    await this.sliced(apps, (app, index) => {
      if (index > 0) parts.push(',');
      this.appParts(app, region, parts);
    });
    parts.push(']');
    return this.assembled(listId, parts);
  }

  private appParts(app: AppRecord, region: Region, parts: Part[]): Part[] {
    const fields = serializeAppFields({ name: app.name, projectName: app.project, creationTime: app.creationTime });
    // The app's own fields, then its services' pieces in place of the closing brace.
    parts.push(`${fields.slice(0, -1)},"microservices":[`);
    app.services.forEach((state, index) => {
      if (index > 0) parts.push(',');
      parts.push(this.of(state, region));
    });
    parts.push(']}');
    return parts;
  }

  /**
   * The answer made of `parts`: the last answer of the same list again when every piece is the
   * same (the same service pieces, equal text between them), so a list read again and again while
   * nothing in it changed is neither copied nor allocated (a megabyte, in thousands of pieces).
   */
  private assembled(listId: string, parts: Part[]): Buffer {
    const last = this.lists.get(listId);
    if (last?.parts.length === parts.length && last.parts.every((part, index) => part === parts[index])) return last.body;
    const body = joined(parts);
    if (this.lists.size >= MAX_LISTS) this.lists.clear();
    this.lists.set(listId, { parts, body });
    return body;
  }

  /** Runs `each` over `items`, giving the event loop a turn whenever a slice has run SLICE_MS. */
  private async sliced<T>(items: readonly T[], each: (item: T, index: number) => void): Promise<void> {
    const share = new EventLoopShare(SLICE_MS);
    for (const [index, item] of items.entries()) {
      if (share.spent()) await nextTurn();
      each(item, index);
    }
  }
}

/** Sends what ServiceJson put together: serialized already, as the route's response schema says. */
export function sendJson(reply: FastifyReply, json: Buffer): FastifyReply {
  return reply.type(JSON_BODY).send(json);
}

/** A service's JSON, or the text between services. */
type Part = Buffer | string;

function joined(parts: Part[]): Buffer {
  return Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : part)));
}
