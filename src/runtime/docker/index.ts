import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { RegionSettings } from '../../config.js';
import { connect, engineAddress, engineAnswers } from './client.js';
import type { RuntimeContext } from '../runtime.js';
import { DockerRuntime } from './docker-runtime.js';

export { DockerRuntime } from './docker-runtime.js';

export const DEFAULT_SANDBOX_IMAGE = 'registry.k8s.io/pause:3.10';
export const DEFAULT_PUBLISH_ADDRESS = '127.0.0.1';

/** Where a region's engine listens: its `docker.socket`, else DOCKER_HOST, else the default socket. */
export function dockerAddress(settings: RegionSettings, env: NodeJS.ProcessEnv = process.env): string {
  return engineAddress(settings.docker.socket, env);
}

/** For runtime `auto`: does a Docker-API engine answer at the region's address? */
export function dockerAnswers(settings: RegionSettings, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  return engineAnswers(dockerAddress(settings, env));
}

/**
 * The Docker runtime of a region. The region's settings come first, then the environment
 * (WHARF_SANDBOX_IMAGE applies to every region that names no sandbox image), then defaults.
 * It does not wait for the engine: an engine that is down is reconnected to in the background.
 */
export async function createDockerRuntime(
  settings: RegionSettings,
  log: Logger,
  context: RuntimeContext,
  env: NodeJS.ProcessEnv = process.env,
): Promise<DockerRuntime> {
  const address = dockerAddress(settings, env);
  return new DockerRuntime(
    connect(address),
    {
      address,
      region: settings.name,
      sandboxImage: settings.docker.sandboxImage ?? env.WHARF_SANDBOX_IMAGE ?? DEFAULT_SANDBOX_IMAGE,
      publishPorts: settings.docker.publishPorts ?? true,
      // Loopback: a published port is for the host's own users; publishing to the world is the operator's choice.
      publishAddress: settings.docker.publishAddress ?? DEFAULT_PUBLISH_ADDRESS,
      security: settings.security,
      instanceId: context.instanceId,
      stopGraceSeconds: 10,
      resyncIntervalMs: 10_000,
      reconnectIntervalMs: 1000,
      // Absolute: the engine resolves a bind mount's source on its own, not in Wharf's working directory.
      configMapRoot: join(resolve(context.dataDir), 'configmaps', settings.name),
      volumes: context.volumes,
      ...(context.engineWatchRestarted ? { reconnected: context.engineWatchRestarted } : {}),
      volumeDrivers: new Map(settings.storageTypes.flatMap((type) => (type.docker ? [[type.type, type.docker]] : []))),
      events: context.events,
      leads: context.leads,
    },
    log.child({ region: settings.name, runtime: 'docker' }),
  );
}
