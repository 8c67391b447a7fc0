import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { authHeaders, eventually, TEST_ADMIN_TOKEN, type Credentials } from './api.js';
import { TEST_DATABASE_URL, testDatabase } from './database.js';

const REPO_ROOT = join(import.meta.dirname, '..', '..');
const SERVE = "import('./src/cli/main.ts').then((cli) => cli.main(['serve'])).catch((error) => { console.error(error); process.exit(1); })";

export interface Answer {
  status: number;
  body: any;
  headers: Record<string, string>;
}

/** `wharf serve` as its own process, as an operator runs it. */
export interface ServerProcess {
  port: number;
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends the admin token unless `credentials` says otherwise. */
  request(method: string, path: string, body?: unknown, credentials?: Credentials): Promise<Answer>;
  /** The server's stderr and stdout so far, for failure messages. */
  output(): string;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A config for region `local` on the simulated runtime with fast pod starts, available as soon as they run (minReadySeconds 0). */
export function writeConfig(dataDir: string): string {
  const path = join(dataDir, 'wharf.yaml');
  writeFileSync(path, 'regions:\n  - name: local\n    runtime: simulated\n    minReadySeconds: 0\n    simulated:\n      startDelayMs: 20\n');
  return path;
}

/**
 * Starts the server on `dataDir` and resolves once /healthz answers. `env` is laid over the test
 * environment; a variable set to undefined is removed (WHARF_ADMIN_TOKEN: the generated token).
 */
export async function startServerProcess(dataDir: string, env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', SERVE], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      WHARF_DATA_DIR: dataDir,
      // A test's own config (env.WHARF_CONFIG) may be in the data dir too: it is not overwritten.
      WHARF_CONFIG: env.WHARF_CONFIG ?? writeConfig(dataDir),
      WHARF_RUNTIME: 'simulated',
      WHARF_LOG_LEVEL: 'warn',
      WHARF_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      // On PostgreSQL the data dir's own database, so a restart on it finds what the process left.
      ...(TEST_DATABASE_URL ? { WHARF_DATABASE_URL: await testDatabase(dataDir) } : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );

  const base = `http://127.0.0.1:${port}`;
  const request: ServerProcess['request'] = async (method, path, body, credentials = { token: env.WHARF_ADMIN_TOKEN ?? TEST_ADMIN_TOKEN }) => {
    const response = await fetch(base + path, {
      method,
      headers: { ...authHeaders(credentials), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? undefined : JSON.parse(text), headers: Object.fromEntries(response.headers) };
  };
  let exitedEarly = false;
  void exited.then(() => (exitedEarly = true));
  try {
    await eventually(
      async () => {
        if (exitedEarly) throw new Error(`the server exited at start:\n${output}`);
        return request('GET', '/healthz').catch(() => undefined);
      },
      (answer) => answer?.status === 200,
      // tsx compiles the server's TypeScript at start: on a loaded 2-core machine that alone took over 20 s.
      60_000,
    );
  } catch (error) {
    // A server that never answered must not outlive the test file and hold its runner.
    child.kill('SIGKILL');
    await exited;
    throw new Error(`${(error as Error).message}\nserver output:\n${output}`);
  }
  return { port, child, exited, request, output: () => output };
}

/** A POST whose body is sent in two parts: the request is in flight until `finish` is called. */
export function postInTwoParts(port: number, path: string, body: unknown) {
  const payload = Buffer.from(JSON.stringify(body));
  const half = Math.floor(payload.length / 2);
  const req = httpRequest({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path,
    agent: false,
    headers: {
      'content-type': 'application/json',
      'content-length': payload.length,
      connection: 'close',
      ...authHeaders({ token: TEST_ADMIN_TOKEN }),
    },
  });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.once('error', reject);
    req.once('response', (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.once('end', () =>
        resolve({ status: response.statusCode ?? 0, body: text === '' ? undefined : JSON.parse(text), headers: response.headers as Record<string, string> }),
      );
    });
  });
  const started = new Promise<void>((resolve, reject) => req.write(payload.subarray(0, half), (error) => (error ? reject(error) : resolve())));
  return {
    started,
    answer,
    finish: () => req.end(payload.subarray(half)),
  };
}
