import { pino, type Logger } from 'pino';
import type { Api } from './api/context.js';
import { buildServer } from './api/server.js';
import type { Config } from './config.js';
import { Controller, DEFAULT_CONTROLLER_OPTIONS, type ControllerOptions } from './controller/controller.js';
import { createRegion, type Region } from './regions.js';
import { openSqlite } from './store/database.js';
import { migrateToLatest } from './store/migrations.js';
import { Store } from './store/store.js';

export interface Wharf {
  api: Api;
  store: Store;
  controller: Controller;
  regions: Map<string, Region>;
  log: Logger;
  /** Stops taking requests, lets those in flight finish, then stops the controller, engines and store. */
  close(): Promise<void>;
}

/** Opens the store, builds regions, controller and HTTP server. Nothing listens until `api.listen`. */
export async function createWharf(
  config: Config,
  options: { logger?: Logger; controller?: Partial<ControllerOptions> } = {},
): Promise<Wharf> {
  const log = options.logger ?? pino({ level: config.logLevel });
  const db = openSqlite(config.dataDir);
  await migrateToLatest(db);
  const store = new Store(db);
  const regions = new Map<string, Region>();
  for (const settings of config.regions) regions.set(settings.name, await createRegion(settings, log));
  const controller = new Controller(store, regions, log.child({ component: 'controller' }), {
    ...DEFAULT_CONTROLLER_OPTIONS,
    ...options.controller,
  });
  const api = await buildServer({ store, controller, regions }, log);
  await controller.start();

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await api.close();
      await controller.close();
      for (const region of regions.values()) await region.runtime.close();
      await store.close();
    })();
    return closing;
  };
  return { api, store, controller, regions, log, close };
}
