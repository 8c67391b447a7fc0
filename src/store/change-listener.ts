import pg from 'pg';
import type { Logger } from 'pino';
import type { ProjectResourceKey } from '../domain/deletion.js';
import type { ServiceKey } from '../domain/keys.js';
import { CHANGE_CHANNEL } from './postgres.js';

/** What a committed write announces on PostgreSQL (NOTIFY payload, JSON). */
export interface Announcement {
  /** The Store that wrote: it told its own listeners already. */
  origin: string;
  changed: ServiceKey[];
  resources: ProjectResourceKey[];
  /** Too many keys for one notification: every listener treats everything as changed. */
  all?: true;
}

/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more; this leaves room for the envelope. */
const MAX_PAYLOAD = 7000;

/** The payload of a write's NOTIFY: its keys, or "everything" when they do not fit in one. */
export function announcement(origin: string, changed: ServiceKey[], resources: ProjectResourceKey[]): string {
  const payload = JSON.stringify({ origin, changed, resources } satisfies Announcement);
  return Buffer.byteLength(payload) < MAX_PAYLOAD ? payload : JSON.stringify({ origin, changed: [], resources: [], all: true } satisfies Announcement);
}

export interface ChangeListenerOptions {
  /** This process's Store origin: its own announcements are skipped. */
  origin: string;
  /** Another replica committed a write. */
  changed(changed: ServiceKey[], resources: ProjectResourceKey[]): void;
  /**
   * Notifications may have been missed (the connection was lost, a payload said "all", or the
   * periodic resync came): nothing cached may be trusted.
   */
  everythingChanged(): void;
  /** Listening stopped (false) or started again (true): while it is down, other replicas' commits go unseen. */
  listening(up: boolean): void;
  /** Called every resyncIntervalMs: drops what is cached, so a notification lost unnoticed is never trusted for long. */
  expire(): void;
  resyncIntervalMs: number;
  log: Logger;
}

/** What the listening connection calls itself in pg_stat_activity. */
export const CHANGE_FEED_APPLICATION = 'wharf-change-feed';

const RECONNECT_DELAY_MS = [100, 500, 1000, 2000, 5000];

/**
 * The cross-replica half of the change feed: LISTENs on a connection of its own (a pooled one
 * goes back to the pool and would stop listening) and hands other replicas' commits to the Store.
 */
export class ChangeListener {
  private client: pg.Client | undefined;
  private closed = false;
  private failures = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly resyncTimer: NodeJS.Timeout;

  constructor(private readonly url: string, private readonly options: ChangeListenerOptions) {
    this.resyncTimer = setInterval(() => options.expire(), options.resyncIntervalMs);
    this.resyncTimer.unref();
  }

  /** Resolves once listening, so a write committed after it is seen; fails when the database does not answer. */
  async start(): Promise<void> {
    await this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.resyncTimer);
    clearTimeout(this.reconnectTimer);
    await this.client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    // TCP keepalive: a connection that died without a word (a dropped route) ends in minutes, not hours;
    // until then the periodic expiry bounds how long anything missed is served from the cache.
    const client = new pg.Client({ connectionString: this.url, application_name: CHANGE_FEED_APPLICATION, keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
    client.on('notification', (message) => this.receive(message.payload));
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
    } catch (error) {
      this.lost(client, error);
      throw error;
    }
    this.failures = 0;
  }

  private receive(payload: string | undefined): void {
    let message: Announcement;
    try {
      message = JSON.parse(payload ?? '') as Announcement;
    } catch {
      this.options.log.warn({ payload }, 'an unreadable change notification: treating everything as changed');
      this.options.everythingChanged();
      return;
    }
    if (message.origin === this.options.origin) return;
    if (message.all) this.options.everythingChanged();
    else this.options.changed(message.changed, message.resources);
  }

  /** Reconnects with backoff; whatever was committed meanwhile went unannounced, so once listening again everything counts as changed. */
  private lost(client: pg.Client, error: unknown): void {
    if (this.closed || client !== this.client) return;
    this.client = undefined;
    this.options.listening(false);
    client.end().catch(() => undefined);
    const delay = RECONNECT_DELAY_MS[Math.min(this.failures++, RECONNECT_DELAY_MS.length - 1)]!;
    this.options.log.warn({ err: error, retryInMs: delay }, 'lost the PostgreSQL change-feed connection; reconnecting');
    this.reconnectTimer = setTimeout(() => {
      this.connect()
        .then(() => {
          this.options.log.info('change-feed connection back: treating everything as changed');
          this.options.listening(true);
          this.options.everythingChanged();
        })
        .catch(() => undefined);
    }, delay);
    this.reconnectTimer.unref();
  }
}
