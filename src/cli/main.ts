import { Command, CommanderError, Option } from 'commander';
import { registerActions } from './commands/actions.js';
import { registerApps } from './commands/apps.js';
import { registerCompletion } from './commands/completion.js';
import { registerConfigMaps } from './commands/configmaps.js';
import { registerContexts } from './commands/contexts.js';
import { registerDeploy } from './commands/deploy.js';
import { registerEvents } from './commands/events.js';
import { registerExec } from './commands/exec.js';
import { registerLogs } from './commands/logs.js';
import { registerProjects } from './commands/projects.js';
import { registerQuota } from './commands/quota.js';
import { registerRegion } from './commands/region.js';
import { registerServices } from './commands/services.js';
import { registerTokens } from './commands/tokens.js';
import { registerVolumes } from './commands/volumes.js';
import { CliApiError, EXIT, EXIT_CODES_HELP, ExitCode, UsageError } from './errors.js';
import { OUTPUT_FORMATS } from './output.js';

const ENVIRONMENT_HELP = `client environment: WHARF_URL, WHARF_TOKEN (over the context's), XDG_CONFIG_HOME (contexts
  in $XDG_CONFIG_HOME/wharf/config.yaml, else ~/.config/wharf/config.yaml)

server environment (wharf serve): HOST, PORT, WHARF_CONFIG, WHARF_DATA_DIR, WHARF_RUNTIME,
  WHARF_LOG_LEVEL, WHARF_ADMIN_TOKEN, WHARF_AUTH (off: only on a loopback HOST); see docs/auth.md
  DOCKER_HOST            the Docker engine (default unix:///var/run/docker.sock)
  WHARF_SANDBOX_IMAGE    the image holding each Docker pod's network namespace (default
                         registry.k8s.io/pause:3.10); offline, name one the engine already has`;

/** Commands that talk to no server through a context: they keep options of their own and take no global ones. */
const LOCAL_COMMANDS = new Set(['serve', 'render', 'migrate-store', 'completion', 'help']);

/** The options every client command takes, after its name as well as before (`wharf apps ls --project p`). */
function globalOptions(): Option[] {
  return [
    new Option('--context <name>', 'the stored context to use (default: the current one)'),
    new Option('--region <name>', "the region (default: the context's)"),
    new Option('--project <name>', "the project (default: the context's)"),
    new Option('-o, --output <format>', 'json, yaml, or wide (more columns); default: a table').choices(OUTPUT_FORMATS),
  ];
}

/** The whole command tree; each group of commands registers itself from src/cli/commands/. */
export function buildProgram(): Command {
  const program = new Command('wharf')
    .description('Wharf: serve the microservice API, or drive one from the terminal')
    .enablePositionalOptions()
    .exitOverride()
    .showHelpAfterError('(wharf help [command] lists what it takes)')
    .addHelpText('after', `\n${EXIT_CODES_HELP}\n\n${ENVIRONMENT_HELP}`);

  program
    .command('serve')
    .description('run the API server and controller (the default command)')
    .option('-c, --config <file>', 'YAML config file (default: WHARF_CONFIG)')
    .action(async (options: { config?: string }) => (await import('./serve.js')).serve(options.config));
  // The server's modules load only for the commands that need them: a client command starts in a fraction of the time.
  passThrough(program.command('render'), 'print the Kubernetes manifests of a service as YAML (offline)').action(async (args: string[]) => {
    process.stdout.write((await import('./render.js')).renderCommand(args));
  });
  passThrough(program.command('migrate-store'), "copy a stopped Wharf's store into an empty one (SQLite and PostgreSQL)").action(async (args: string[]) => {
    process.stdout.write(await (await import('./migrate-store.js')).migrateStoreCommand(args));
  });

  registerContexts(program);
  registerRegion(program);
  registerProjects(program);
  registerApps(program);
  registerServices(program);
  registerActions(program);
  registerConfigMaps(program);
  registerVolumes(program);
  registerTokens(program);
  registerQuota(program);
  registerLogs(program);
  registerEvents(program);
  registerExec(program);
  registerDeploy(program);
  registerCompletion(program);

  for (const command of program.commands) if (!LOCAL_COMMANDS.has(command.name())) addGlobalOptions(command);
  for (const option of globalOptions()) program.addOption(option);
  return program;
}

/** `render` and `migrate-store` read their own arguments (their functions are tested with argument lists); without any they print their usage. */
function passThrough(command: Command, description: string): Command {
  return command.description(description).helpOption(false).passThroughOptions().allowUnknownOption().allowExcessArguments().argument('[arguments...]');
}

function addGlobalOptions(command: Command): void {
  for (const option of globalOptions()) if (!command.options.some((existing) => existing.long === option.long)) command.addOption(option);
  for (const sub of command.commands) addGlobalOptions(sub);
}

/** Runs one command line; throws what failed (see `run` for how a failure becomes an exit code). `wharf` alone serves. */
export async function main(argv: string[]): Promise<void> {
  await buildProgram().parseAsync(argv.length === 0 ? ['serve'] : argv, { from: 'user' });
}

/** Runs one command line and answers its exit code, having printed why it failed (errors.ts has the convention). */
export async function run(argv: string[]): Promise<number> {
  try {
    await main(argv);
    return EXIT.ok;
  } catch (error) {
    return reportFailure(error);
  }
}

function reportFailure(error: unknown): number {
  // Commander has printed its own message (or the help) already.
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (error instanceof ExitCode) return error.exitCode;
  if (error instanceof CliApiError) {
    process.stderr.write(`error: ${error.code}: ${error.message}\n`);
    return error.exitCode;
  }
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  return error instanceof UsageError || isParseArgsError(error) ? EXIT.usage : EXIT.failed;
}

/** node:util's parseArgs (render, migrate-store) refuses an unknown option or a missing value with these codes. */
function isParseArgsError(error: unknown): boolean {
  return String((error as { code?: unknown } | null)?.code ?? '').startsWith('ERR_PARSE_ARGS_');
}
