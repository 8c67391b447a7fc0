import type { Logger } from 'pino';
import type { RegionSettings } from './config.js';
import type { RegionPolicy } from './domain/validation.js';
import { createDockerRuntime, dockerAddress, dockerAnswers } from './runtime/docker/index.js';
import { createKubernetesRuntime } from './runtime/kubernetes/index.js';
import type { Runtime } from './runtime/runtime.js';
import { SimulatedRuntime } from './runtime/simulated/simulated-runtime.js';

/** A region: one engine endpoint and the rules it enforces. */
export interface Region {
  name: string;
  policy: RegionPolicy;
  runtime: Runtime;
}

export async function createRegion(settings: RegionSettings, log: Logger): Promise<Region> {
  return { name: settings.name, policy: regionPolicy(settings), runtime: await createRuntime(settings, log) };
}

/** The rules a region enforces; also what `wharf render` validates a service with, offline. */
export function regionPolicy(settings: RegionSettings): RegionPolicy {
  return {
    resourceSpecs: settings.resourceSpecs.map((spec) => ({ ...spec, meomory: spec.memory })),
    maxInstances: settings.maxInstances,
    revisionHistoryLimit: settings.revisionHistoryLimit,
  };
}

/** The region's engine driver. `auto` picks a real engine when one answers, else the simulated one. */
async function createRuntime(settings: RegionSettings, log: Logger): Promise<Runtime> {
  switch (settings.runtime) {
    case 'simulated':
      break;
    case 'auto':
      if (await dockerAnswers(settings)) return createDockerRuntime(settings, log);
      log.warn({ region: settings.name, address: dockerAddress(settings) }, 'runtime auto: no Docker engine answers, using the simulated runtime');
      break;
    case 'docker':
      return createDockerRuntime(settings, log);
    case 'kubernetes':
      return createKubernetesRuntime(settings, log);
  }
  return new SimulatedRuntime(settings.simulated);
}
