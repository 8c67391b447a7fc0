import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { createWharf } from '../wharf.js';
import { MIGRATE_STORE_USAGE, migrateStoreCommand } from './migrate-store.js';
import { renderCommand } from './render.js';

const USAGE = `usage: wharf <command> [options]

commands:
  serve [--config FILE]   run the API server and controller (the default command)
  render --project P --app A -f SERVICE.json
                          print the Kubernetes manifests of a service as YAML (offline)
  ${MIGRATE_STORE_USAGE}
  help                    show this text

environment: HOST, PORT, WHARF_CONFIG, WHARF_DATA_DIR, WHARF_RUNTIME, WHARF_LOG_LEVEL,
             WHARF_ADMIN_TOKEN, WHARF_AUTH (off: only on a loopback HOST); see docs/auth.md
  DOCKER_HOST            the Docker engine (default unix:///var/run/docker.sock)
  WHARF_SANDBOX_IMAGE    the image holding each Docker pod's network namespace (default
                         registry.k8s.io/pause:3.10); offline, name one the engine already has`;

export async function main(argv: string[]): Promise<void> {
  const [command = 'serve', ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'render':
      process.stdout.write(renderCommand(rest));
      return;
    case 'migrate-store':
      process.stdout.write(await migrateStoreCommand(rest));
      return;
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return;
    default:
      throw new Error(`unknown command "${command}"\n\n${USAGE}`);
  }
}

async function serve(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } } });
  const config = loadConfig(process.env, values.config ?? process.env.WHARF_CONFIG);
  const wharf = await createWharf(config);
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

  await wharf.api.listen({ host: config.host, port: config.port });
}
