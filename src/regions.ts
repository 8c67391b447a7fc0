import type { Logger } from 'pino';
import type { RegionSettings } from './config.js';
import type { RegionPolicy } from './domain/validation.js';
import type { Runtime } from './runtime/runtime.js';
import { SimulatedRuntime } from './runtime/simulated/simulated-runtime.js';

/** A region: one engine endpoint and the rules it enforces. */
export interface Region {
  name: string;
  policy: RegionPolicy;
  runtime: Runtime;
}

export async function createRegion(settings: RegionSettings, log: Logger): Promise<Region> {
  const policy: RegionPolicy = {
    resourceSpecs: settings.resourceSpecs.map((spec) => ({ ...spec, meomory: spec.memory })),
    maxInstances: settings.maxInstances,
    revisionHistoryLimit: settings.revisionHistoryLimit,
  };
  return { name: settings.name, policy, runtime: await createRuntime(settings, log) };
}

/** The region's engine driver. `auto` picks a real engine when one answers, else the simulated one. */
async function createRuntime(settings: RegionSettings, log: Logger): Promise<Runtime> {
  switch (settings.runtime) {
    case 'simulated':
      break;
    case 'auto':
      log.warn({ region: settings.name }, 'runtime auto: no real engine driver is built yet, using the simulated runtime');
      break;
    case 'docker':
    case 'kubernetes':
      throw new Error(`region ${settings.name}: the ${settings.runtime} runtime is not built yet; use simulated`);
  }
  return new SimulatedRuntime(settings.simulated);
}
