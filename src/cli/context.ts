import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { parse, stringify } from 'yaml';
import { WharfClient, type Target } from './client.js';
import { UsageError } from './errors.js';

/** A server the CLI talks to, as `wharf login` stored it. */
export interface Context {
  name: string;
  url: string;
  token?: string;
  region: string;
  project?: string;
}

export interface CliConfig {
  current?: string;
  contexts: Context[];
}

/** The options every command takes (declared on the program: see main.ts). */
export interface GlobalOptions {
  context?: string;
  region?: string;
  project?: string;
}

/** `$XDG_CONFIG_HOME/wharf/config.yaml`, else `~/.config/wharf/config.yaml`. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'wharf', 'config.yaml');
}

export function readConfig(path = configPath()): CliConfig {
  if (!existsSync(path)) return { contexts: [] };
  const parsed = parse(readFileSync(path, 'utf8')) as Partial<CliConfig> | null;
  return { ...parsed, contexts: parsed?.contexts ?? [] };
}

/**
 * Writes the config readable by its owner only (it holds tokens): the directory 0700, the file
 * 0600, replaced whole by a rename so that a crash never leaves half a file.
 */
export function writeConfig(config: CliConfig, path = configPath()): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, stringify(config), { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}

/** Adds or replaces the context of that name and makes it the current one. */
export function saveContext(context: Context, path = configPath()): void {
  const config = readConfig(path);
  const contexts = config.contexts.filter((existing) => existing.name !== context.name);
  writeConfig({ current: context.name, contexts: [...contexts, context] }, path);
}

export function useContext(name: string, path = configPath()): void {
  const config = readConfig(path);
  if (!config.contexts.some((context) => context.name === name)) {
    throw new UsageError(`no context "${name}" (have: ${config.contexts.map((context) => context.name).join(', ') || 'none; wharf login first'})`);
  }
  writeConfig({ ...config, current: name }, path);
}

/**
 * Where a command's requests go: the context (`--context`, else the current one), overridden by
 * WHARF_URL and WHARF_TOKEN, then by `--region` and `--project`.
 */
export function resolveTarget(options: GlobalOptions, env: NodeJS.ProcessEnv = process.env, path = configPath(env)): Target {
  const config = readConfig(path);
  const name = options.context ?? config.current;
  const context = config.contexts.find((candidate) => candidate.name === name);
  if (options.context !== undefined && !context) throw new UsageError(`no context "${options.context}" in ${path}`);
  const url = env.WHARF_URL || context?.url;
  if (!url) throw new UsageError('no server: run `wharf login <url>` or set WHARF_URL');
  return {
    url,
    token: env.WHARF_TOKEN || context?.token,
    region: options.region ?? context?.region ?? 'local',
    project: options.project ?? context?.project,
  };
}

/** The client for a command, from its own and the program's options. */
export function connect(command: Command): WharfClient {
  return new WharfClient(resolveTarget(command.optsWithGlobals<GlobalOptions>()));
}

