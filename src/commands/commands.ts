import { randomUUID } from 'node:crypto';
import type { QuotaLimits } from '../model/quota.js';
import type { ServiceCreate } from '../model/service.js';
import { invalidArgs, WharfError } from '../domain/errors.js';
import type { ServiceKey } from '../domain/keys.js';
import { createService, rollbackService, type DesiredService, type ServiceChange, type ServiceState } from '../domain/service.js';
import { checkTokenRequest, type TokenRecord, type TokenRequest } from '../domain/tokens.js';
import type { RegionPolicy } from '../domain/validation.js';
import type { VolumeStorage } from '../domain/volumes.js';
import type { ConfigMapRecord } from '../domain/configmaps.js';
import type { ProjectResourceRef } from '../store/store-access.js';
import type { AppRecord, AppRef, Store } from '../store/store.js';
import type { TokenStore } from '../store/tokens.js';
import type { VolumeUse } from '../store/volumes.js';

/** Where a change's time and a new service's uid come from: the system's unless a test fixes them. */
export interface CommandSources {
  now(): Date;
  uid(): string;
}

export const SYSTEM_SOURCES: CommandSources = { now: () => new Date(), uid: () => randomUUID() };

/**
 * Every change the API makes, between its routes and the store: the time and the ids a change
 * carries, the domain's rules, one store transaction. A committed change reaches the controller
 * through the store's change feed; nothing here calls an engine or the controller.
 */
export class Commands {
  constructor(
    private readonly store: Store,
    private readonly tokens: TokenStore,
    private readonly sources: CommandSources = SYSTEM_SOURCES,
  ) {}

  /** An app with its services, all or nothing; `at` of each service's fields is `microservices[i].`. */
  async createApp(ref: AppRef, services: readonly ServiceCreate[], policy: RegionPolicy): Promise<AppRecord> {
    const now = this.now();
    const seen = new Set<string>();
    const changes = services.map((input, index) => {
      const at = `microservices[${index}].`;
      if (seen.has(input.name)) throw invalidArgs(`${at}name "${input.name}" is used by another microservice of this app`);
      seen.add(input.name);
      return createService({ ...ref, service: input.name }, input, policy, { uid: this.sources.uid(), now }, at);
    });
    return this.store.createApp(ref, now, changes);
  }

  async createService(ref: AppRef, input: ServiceCreate, policy: RegionPolicy): Promise<DesiredService> {
    return this.store.createService(ref, createService({ ...ref, service: input.name }, input, policy, { uid: this.sources.uid(), now: this.now() }));
  }

  /** A change of one service by a pure domain function (scale, stop, upgrade, ports…), read and written in one transaction. */
  async changeService(key: ServiceKey, policy: RegionPolicy, apply: (current: ServiceState, now: string) => ServiceChange): Promise<DesiredService> {
    return this.store.updateService(key, policy.revisionHistoryLimit, (current) => apply(current, this.now()));
  }

  /** A new revision with the template of a kept one. */
  async rollback(key: ServiceKey, policy: RegionPolicy, revision: number): Promise<DesiredService> {
    return this.store.updateService(key, policy.revisionHistoryLimit, async (current, revisions) => {
      const target = await revisions(revision);
      if (!target) throw new WharfError('RevisionNotFound', `revision ${revision} of microservice "${key.service}" is not kept`);
      return rollbackService(current, target, this.now());
    });
  }

  createConfigMap(ref: ProjectResourceRef, data: Record<string, string>): Promise<ConfigMapRecord> {
    return this.store.configMaps.create(ref, data, this.now());
  }

  updateConfigMap(ref: ProjectResourceRef, data: Record<string, string>): Promise<ConfigMapRecord> {
    return this.store.configMaps.update(ref, data, this.now());
  }

  /** Marks it deleting: the controller removes it from the engine, then the row. */
  deleteConfigMap(ref: ProjectResourceRef): Promise<ConfigMapRecord> {
    return this.store.configMaps.delete(ref, this.now());
  }

  /** The controller makes it on the engine. */
  createVolume(ref: ProjectResourceRef, sizeGi: number, storage: VolumeStorage): Promise<VolumeUse> {
    return this.store.volumes.create(ref, sizeGi, storage, this.now());
  }

  /** Marks it deleting: the controller removes it and its data from the engine, then the row. */
  deleteVolume(ref: ProjectResourceRef): Promise<VolumeUse> {
    return this.store.volumes.delete(ref, this.now());
  }

  setQuota(region: string, project: string, limits: QuotaLimits): Promise<void> {
    return this.store.quotas.set(region, project, limits, this.now());
  }

  /** The record and, shown only this once, the secret. */
  async createToken(request: TokenRequest): Promise<{ record: TokenRecord; token: string }> {
    const now = this.sources.now();
    const { expiresAt } = checkTokenRequest(request, now);
    return this.tokens.create({ name: request.name, projects: request.projects, admin: request.admin ?? false, expiresAt }, now.toISOString());
  }

  async revokeToken(id: string): Promise<void> {
    if (!(await this.tokens.revoke(id, this.now()))) throw new WharfError('NotFound', `token "${id}" does not exist`);
  }

  private now(): string {
    return this.sources.now().toISOString();
  }
}
