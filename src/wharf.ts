import { pino, type Logger } from 'pino';
import { adminToken } from './admin-token.js';
import type { AuthSettings } from './api/auth.js';
import type { Api } from './api/context.js';
import { buildServer } from './api/server.js';
import { WharfMetrics } from './metrics.js';
import { ServiceJson } from './api/service-json.js';
import { DEFAULT_WATCH_OPTIONS, WatchHub, type WatchOptions } from './api/watch-hub.js';
import type { Config } from './config.js';
import { Commands } from './commands/commands.js';
import { Controller, DEFAULT_CONTROLLER_OPTIONS, type ControllerOptions } from './controller/controller.js';
import { LeaderElector } from './controller/leader-election.js';
import { RegionControllers } from './controller/region-controllers.js';
import type { Leadership } from './domain/leadership.js';
import { defaultStorage, DEFAULT_VOLUME_SIZE_GI } from './domain/volumes.js';
import { createRegion, type Region } from './regions.js';
import { ChangeListener } from './store/change-listener.js';
import { StoreEventRecorder } from './store/event-recorder.js';
import { openSqlite } from './store/database.js';
import { instanceId } from './store/instance.js';
import { LeaseStore } from './store/leases.js';
import { migrateToLatest } from './store/migrations.js';
import { openPostgres } from './store/postgres.js';
import { Store } from './store/store.js';
import { TokenStore } from './store/tokens.js';

export interface Wharf {
  api: Api;
  store: Store;
  /** The controllers of the regions this replica leads. */
  controllers: RegionControllers;
  leadership: Leadership;
  regions: Map<string, Region>;
  /** The state watches of services. */
  watches: WatchHub;
  log: Logger;
  /** Stops taking requests, lets those in flight finish, then stops the controller, engines and store. */
  close(): Promise<void>;
}

/**
 * Opens the store, builds regions, controller and HTTP server, and starts the controllers of the
 * regions this replica leads. With `listen` the port opens before they start: their first pass
 * reconciles every service (seconds with thousands), and the API answers meanwhile. Without it
 * nothing listens until `api.listen`.
 */
export async function createWharf(
  config: Config,
  options: {
    logger?: Logger;
    controller?: Partial<ControllerOptions>;
    cacheResyncIntervalMs?: number;
    watch?: Partial<WatchOptions>;
    listen?: { host: string; port: number };
  } = {},
): Promise<Wharf> {
  const log = options.logger ?? pino({ level: config.logLevel });
  // First: a data dir where the admin token cannot be kept fails the start before anything opens.
  const auth = authSettings(config, log);
  const db = config.databaseUrl ? openPostgres(config.databaseUrl, log) : openSqlite(config.dataDir);
  await migrateToLatest(db);
  const settingsOf = new Map(config.regions.map((settings) => [settings.name, settings]));
  const metrics = new WharfMetrics();
  const store = new Store(db, {
    transactionTimed: (seconds) => metrics.storeTransaction(seconds),
    volumeDefaults: (region) => {
      const settings = settingsOf.get(region);
      return { sizeGi: settings?.defaultVolumeSizeGi ?? DEFAULT_VOLUME_SIZE_GI, storage: defaultStorage(settings?.storageTypes ?? []) };
    },
    quotaPolicy: (region) => {
      const settings = settingsOf.get(region);
      return { region: settings?.quota ?? {}, project: settings?.projectQuota ?? {}, specs: settings?.resourceSpecs ?? [] };
    },
    events: config.events,
  });
  const feed = config.databaseUrl ? listen(config.databaseUrl, store, log, options.cacheResyncIntervalMs ?? CACHE_RESYNC_INTERVAL_MS) : undefined;
  await feed?.start().catch(async (error: unknown) => {
    await feed.close();
    await store.close();
    throw error;
  });
  for (const settings of config.regions) await store.volumes.typeUntyped(settings.name);
  const instance = await instanceId(db, new Date().toISOString());
  const events = new StoreEventRecorder(store, log.child({ component: 'events' }));
  const leadership = new LeaderElector(
    config.databaseUrl ? new LeaseStore(db) : undefined,
    config.regions.map((settings) => settings.name),
    { replica: config.replica, leaseDurationMs: config.leaseDurationMs },
    log.child({ component: 'leader-election' }),
  );
  const regions = new Map<string, Region>();
  for (const settings of config.regions) {
    const region = settings.name;
    const leads = (): boolean => leadership.leads(region);
    regions.set(region, await createRegion(settings, log, {
      instanceId: instance,
      volumes: { all: () => store.volumes.ofRegion(region) },
      dataDir: config.dataDir,
      // Every replica sees what the engine does; one account of it is enough.
      events: {
        record: (event) => {
          if (leads()) events.record(event);
        },
      },
      leads,
      engineWatchRestarted: () => metrics.engineWatchRestarted(region),
    }));
  }
  const controllerOptions = { ...DEFAULT_CONTROLLER_OPTIONS, resyncIntervalMs: config.controllerResyncMs, metrics, ...options.controller };
  const controllers = new RegionControllers(
    regions,
    (region) => new Controller(store, new Map([[region.name, region]]), log.child({ component: 'controller', region: region.name }), controllerOptions, events),
    log.child({ component: 'controller' }),
  );
  const tokens = new TokenStore(db);
  const serviceJson = new ServiceJson(store, regions);
  const watches = new WatchHub(store, regions, serviceJson, log.child({ component: 'watch' }), { ...DEFAULT_WATCH_OPTIONS, ...options.watch });
  metrics.readFrom({ regions, queueDepth: () => controllers.queueDepth, watchClients: () => watches.clients });
  const commands = new Commands(store, tokens);
  const api = await buildServer({ store, commands, regions, tokens, events, auth, fieldValidation: config.fieldValidation, serviceJson, watches, metrics, leadership }, log);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      // A watch never ends by itself: the server's close would wait for it.
      watches.close();
      await api.close();
      // The controllers stop acting before the leases go: the next leader starts on a quiet engine.
      await controllers.close();
      await leadership.close();
      for (const region of regions.values()) await region.runtime.close();
      await events.close();
      await feed?.close();
      await store.close();
    })();
    return closing;
  };
  // A region that cannot start (another Wharf owns it on the engine), or a port taken, fails the start: nothing is left open.
  try {
    // The first campaign comes before the engines connect: a leader cleans up at connect, a follower does not.
    await leadership.start();
    for (const region of regions.values()) await region.runtime.start(region.changes.emit);
    if (options.listen) await api.listen(options.listen);
  } catch (error) {
    await close();
    throw error;
  }
  leadership.follow(controllers.leadershipChanged);
  return { api, store, controllers, leadership, regions, watches, log, close };
}

/** How long a cached service is trusted at most on PostgreSQL, should a notification be lost unnoticed. */
const CACHE_RESYNC_INTERVAL_MS = 30_000;

/** Other replicas' commits, fed to this one's cache and controller. */
function listen(url: string, store: Store, log: Logger, resyncIntervalMs: number): ChangeListener {
  const feedLog = log.child({ component: 'change-feed' });
  const everythingChanged = (): void => {
    store.everythingChanged().catch((error: unknown) => feedLog.error({ err: error }, 'resync after a gap in the change feed failed'));
  };
  return new ChangeListener(url, {
    origin: store.origin,
    changed: (changed, resources) => store.remoteCommit(changed, resources),
    everythingChanged,
    listening: (up) => store.listening(up),
    // The controller resyncs on its own clock; only the cache needs expiring here.
    expire: () => store.expireCache(),
    resyncIntervalMs,
    log: feedLog,
  });
}

function authSettings(config: Config, log: Logger): AuthSettings {
  if (config.auth === 'off') {
    log.warn({ host: config.host }, 'authentication is off (WHARF_AUTH=off): every local process may call the API');
    return 'off';
  }
  const announce = (token: string, file: string): void => {
    // Never in the structured log: log lines travel to collectors that every operator can read.
    log.warn({ file }, 'generated the admin token; it is printed once on stderr and kept in the file');
    process.stderr.write(`\nWharf admin token (shown once, kept in ${file}):\n\n  ${token}\n\n`);
  };
  return { adminToken: adminToken(config.adminToken, config.dataDir, announce) };
}
