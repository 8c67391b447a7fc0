import { loadConfig } from '../config.js';
import { createWharf } from '../wharf.js';

/** `wharf serve`: the API server and controller, until SIGTERM or SIGINT. */
export async function serve(configFile: string | undefined): Promise<void> {
  const config = loadConfig(process.env, configFile ?? process.env.WHARF_CONFIG);
  // Listening before the controllers start: the API answers while their first pass runs.
  const wharf = await createWharf(config, { listen: { host: config.host, port: config.port } });
  for (const region of wharf.regions.values()) {
    const level = region.runtime.kind === 'simulated' ? 'warn' : 'info';
    wharf.log[level]({ region: region.name, runtime: region.runtime.kind }, `region ${region.name}: ${region.runtime.description}`);
  }

  const shutdown = (signal: string): void => {
    wharf.log.info({ signal }, 'shutting down: finishing requests in flight');
    wharf.close().then(
      () => process.exit(0),
      (error: unknown) => {
        wharf.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}
