import type { Logger } from 'pino';
import type { RuntimeKind } from './model/region.js';
import type { RegionSettings } from './config.js';
import type { RegionPolicy } from './domain/validation.js';
import type { StorageTypeOffer } from './domain/volumes.js';
import { EngineChanges } from './runtime/engine-changes.js';
import type { Runtime, RuntimeContext } from './runtime/runtime.js';
import { SimulatedRuntime } from './runtime/simulated/simulated-runtime.js';

/** A region: one engine endpoint and the rules it enforces. */
export interface Region {
  name: string;
  policy: RegionPolicy;
  runtime: Runtime;
  /** What the runtime reports changing, fanned out to the controller and the API's watches. */
  changes: EngineChanges;
  /** What its volumes may be made of; the first is the default. */
  storageTypes: readonly StorageTypeOffer[];
}

export async function createRegion(settings: RegionSettings, log: Logger, context: RuntimeContext): Promise<Region> {
  // The policy follows the runtime `auto` picked, not the setting.
  const runtime = await createRuntime(settings, log, context);
  return { name: settings.name, policy: regionPolicy(settings, runtime.kind), runtime, changes: new EngineChanges(), storageTypes: settings.storageTypes };
}

/** The rules a region enforces; also what `wharf render` validates a service with, offline. */
export function regionPolicy(settings: RegionSettings, runtime: RuntimeKind): RegionPolicy {
  return {
    resourceSpecs: settings.resourceSpecs.map((spec) => ({ ...spec, meomory: spec.memory })),
    gpus: settings.gpus,
    maxInstances: settings.maxInstances,
    revisionHistoryLimit: settings.revisionHistoryLimit,
    defaultMinReadySeconds: settings.minReadySeconds ?? 10,
    allowedRegistries: settings.allowedRegistries,
    // Docker's DNS aliases lead to the pods themselves: no address could answer on another port.
    mapsServicePorts: runtime !== 'docker',
  };
}

/**
 * The region's engine driver. `auto` picks a real engine when one answers, else the simulated one.
 * Drivers are loaded only when a region uses them: their clients are large, and a server that
 * drives one engine should not pay for the others in start-up time and memory.
 */
async function createRuntime(settings: RegionSettings, log: Logger, context: RuntimeContext): Promise<Runtime> {
  switch (settings.runtime) {
    case 'simulated':
      break;
    case 'auto': {
      const docker = await import('./runtime/docker/index.js');
      if (await docker.dockerAnswers(settings)) return docker.createDockerRuntime(settings, log, context);
      log.warn({ region: settings.name, address: docker.dockerAddress(settings) }, 'runtime auto: no Docker engine answers, using the simulated runtime');
      break;
    }
    case 'docker':
      return (await import('./runtime/docker/index.js')).createDockerRuntime(settings, log, context);
    case 'kubernetes':
      return (await import('./runtime/kubernetes/index.js')).createKubernetesRuntime(settings, log, context);
  }
  return new SimulatedRuntime(settings.simulated, context.events);
}
