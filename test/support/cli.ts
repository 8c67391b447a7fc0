import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { TEST_ADMIN_TOKEN } from './api.js';
import { listen } from './sse.js';
import { startWharf, type TestWharf } from './wharf.js';

const REPO_ROOT = join(import.meta.dirname, '..', '..');

/**
 * The CLI compiled to plain JavaScript, once per test process: under tsx every command would
 * spend seconds compiling before it starts (on a loaded 2-core machine, over ten), which no test
 * file of dozens of commands can afford. TypeScript's transpileModule (what the build does, less
 * the type check) on each module src/cli/main.ts reaches by static imports; the server's modules,
 * imported dynamically by serve, render and migrate-store, are left out. The copy sits in a temp
 * dir whose node_modules is the repository's.
 */
let compiled: string | undefined;
function compiledCli(): string {
  if (compiled) return compiled;
  const dir = mkdtempSync(join(tmpdir(), 'wharf-cli-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(join(dir, 'package.json'), '{"type": "module"}\n');
  const pending = ['src/cli/main.ts'];
  const done = new Set<string>();
  while (pending.length > 0) {
    const source = pending.pop()!;
    if (done.has(source)) continue;
    done.add(source);
    const { outputText } = ts.transpileModule(readFileSync(join(REPO_ROOT, source), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
      fileName: source,
    });
    const target = join(dir, source.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, outputText);
    for (const [, specifier] of outputText.matchAll(/^(?:import|export)[^'"]*from '(\.{1,2}\/[^']+)\.js';$/gm)) {
      pending.push(relative(REPO_ROOT, join(REPO_ROOT, dirname(source), `${specifier!}.ts`)));
    }
  }
  writeFileSync(join(dir, 'wharf.js'), "import { run } from './src/cli/main.js';\n\nprocess.exitCode = await run(process.argv.slice(2));\n");
  compiled = join(dir, 'wharf.js');
  return compiled;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A CLI process still running (a watch, a follow): its output so far, and a way to wait for more. */
export interface CliProcess {
  child: ChildProcess;
  output(): { stdout: string; stderr: string };
  /** Resolves once stdout matches `pattern`; fails after `timeoutMs` with what came. */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<CliResult>;
}

/** The CLI tests' service `web`, as a create request: its pods start on the simulated runtime (it reads no ConfigMap). */
export const SERVICE = {
  name: 'web',
  type: 'stateless',
  resourceSpec: '1U1G',
  instanceNumber: 2,
  ports: [{ port: 80, protocol: 'TCP' }],
  containers: [{ name: 'main', image: 'wharf-e2e/app:1', command: ['/bin/app'], args: ['--port', '80'] }],
};

/** Starts `wharf <args>` as its own process; `env` is laid over the test's environment. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv, stdin?: string): CliProcess {
  const child = spawn(process.execPath, [compiledCli(), ...args], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const waiter of [...waiters]) waiter();
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin!.end(stdin);
  const exited = new Promise<CliResult>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  return {
    child,
    exited,
    output: () => ({ stdout, stderr }),
    waitForStdout: (pattern, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (!pattern.test(stdout)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(stdout);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`wharf ${args.join(' ')}: stdout never matched ${pattern}; got ${JSON.stringify(stdout)}, stderr ${JSON.stringify(stderr)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
  };
}

/** Runs `wharf <args>` to its end. */
export function runCli(args: string[], env: NodeJS.ProcessEnv, stdin?: string): Promise<CliResult> {
  return spawnCli(args, env, stdin).exited;
}

/**
 * An in-process Wharf listening on a loopback port for CLI processes, recording the route of every
 * request it serves (`GET /regions/:region/v1/…`, or `unmatched GET <url>`).
 */
export interface CliServer {
  wharf: TestWharf;
  url: string;
  stop(): Promise<void>;
  /** What a CLI process gets: its own config dir (empty until a `wharf login`), the server in WHARF_URL and the admin token in WHARF_TOKEN. */
  env: NodeJS.ProcessEnv;
  configHome: string;
  routes: Set<string>;
}

export async function startCliServer(): Promise<CliServer> {
  return serveForCli(await startWharf());
}

/** `wharf` (started already, not listening yet) as a CliServer; `stop` stops it. */
export async function serveForCli(wharf: TestWharf): Promise<CliServer> {
  const routes = new Set<string>();
  wharf.api.addHook('onRequest', (request, _reply, done) => {
    routes.add(request.routeOptions.url === undefined ? `unmatched ${request.method} ${request.url}` : `${request.method} ${request.routeOptions.url}`);
    done();
  });
  const url = await listen(wharf.api);
  const configHome = mkdtempSync(join(tmpdir(), 'wharf-cli-config-'));
  const stop = async (): Promise<void> => {
    await wharf.stop();
    rmSync(configHome, { recursive: true, force: true });
  };
  return { wharf, url, configHome, routes, stop, env: { XDG_CONFIG_HOME: configHome, WHARF_URL: url, WHARF_TOKEN: TEST_ADMIN_TOKEN } };
}

/** The project the CLI tests work in: every command gets `--project proj`. */
export const CLI_PROJECT = 'proj';

/** Runs `wharf <args> --project proj` against `server` (the option before a `--`: what follows is exec's command). */
export function cli(server: CliServer, ...args: string[]): Promise<CliResult> {
  const end = args.includes('--') ? args.indexOf('--') : args.length;
  return runCli([...args.slice(0, end), '--project', CLI_PROJECT, ...args.slice(end)], server.env);
}

/** Runs `wharf <args> --project proj` against `server` and expects exit 0, saying what it printed otherwise; answers stdout. */
export async function cliOk(server: CliServer, ...args: string[]): Promise<string> {
  const result = await cli(server, ...args);
  if (result.code !== 0) throw new Error(`wharf ${args.join(' ')} exited ${result.code}: ${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** The routes `server` served that its /openapi.json does not document (`METHOD /path/{param}`); [] when all are. */
export async function undocumentedRoutes(server: CliServer): Promise<string[]> {
  const document = (await server.wharf.request('GET', '/openapi.json')).body;
  const documented = new Set(
    Object.entries<Record<string, unknown>>(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`)),
  );
  return [...server.routes].map((route) => route.replace(/:(\w+)/g, '{$1}')).filter((route) => route !== 'GET /openapi.json' && !documented.has(route));
}
