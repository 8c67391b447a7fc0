import type { Logger } from 'pino';
import type { RegionSettings } from '../../config.js';
import type { RuntimeContext } from '../runtime.js';
import { KubernetesApi, loadKubeConfig } from './api.js';
import { KubernetesRuntime } from './kubernetes-runtime.js';
import { kubernetesSettings } from './settings.js';

/** The Kubernetes runtime of a region, on the cluster its kubeconfig and context name. */
export function createKubernetesRuntime(region: RegionSettings, log: Logger, context: Pick<RuntimeContext, 'engineWatchRestarted' | 'events'>): KubernetesRuntime {
  const settings = kubernetesSettings(region);
  let api: KubernetesApi;
  try {
    api = new KubernetesApi(loadKubeConfig(settings));
  } catch (error) {
    throw new Error(`region ${region.name}: kubeconfig: ${(error as Error).message}`);
  }
  const { engineWatchRestarted, events } = context;
  return new KubernetesRuntime({
    region: region.name,
    settings,
    api,
    events,
    log: log.child({ region: region.name, runtime: 'kubernetes' }),
    ...(engineWatchRestarted ? { watchRestarted: engineWatchRestarted } : {}),
  });
}
