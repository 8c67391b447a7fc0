import type { Kysely, Transaction } from 'kysely';
import type { ProjectResourceKey } from '../domain/deletion.js';
import type { EventInput } from '../domain/events.js';
import { serviceLabel, type ServiceKey } from '../domain/keys.js';
import type { ServiceState } from '../domain/service.js';
import type { Database } from './database.js';

/** The database, or a transaction of it. */
export type Executor = Kysely<Database> | Transaction<Database>;

/** What the stores of project resources (ConfigMaps, volumes) share with the service store. */
export interface StoreAccess {
  db: Kysely<Database>;
  /**
   * One write transaction; the cached services listed in `changed` (filled as it runs) are dropped
   * after it. The change feed carries `changed` and `resources` (ConfigMaps and volumes the
   * controller has engine work for, filled as it runs) once it is committed.
   */
  write<T>(changed: ServiceKey[], work: (trx: Transaction<Database>) => Promise<T>, resources?: ProjectResourceKey[]): Promise<T>;
  /** Inside a write: records events with it, so they commit or roll back together. */
  recordEvents(trx: Transaction<Database>, events: readonly EventInput[]): Promise<void>;
  /** Every service of a project, as committed. */
  servicesOfProject(db: Executor, region: string, project: string): Promise<ServiceState[]>;
}

/** Where a named resource of a project lives. */
export interface ProjectResourceRef {
  region: string;
  project: string;
  name: string;
}

/** `shop/web, shop/db, api`: services as a message names them (a V2 service by its name alone). */
export function serviceList(keys: ServiceKey[]): string {
  return keys.map(serviceLabel).join(', ');
}
