// A Wharf server for the benchmarks: its own process, a fresh data directory, the simulated runtime.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, stopProcess, waitUntilHealthy } from './processes.js';

/** Every call carries the admin token, as a real client's would: its check is part of the cost measured. */
const ADMIN_TOKEN = 'wharf-bench-admin-token';
export const AUTH = { 'x-auth-token': ADMIN_TOKEN };

export interface BenchWharf {
  /** `http://127.0.0.1:<port>/regions/local/v1` */
  base: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * `env` is laid over the server's (WHARF_DATABASE_URL: a PostgreSQL store); `regions`, YAML list
 * items, are configured beside the simulated region `local`.
 */
export async function startBenchWharf(env: NodeJS.ProcessEnv = {}, regions = ''): Promise<BenchWharf> {
  const dataDir = mkdtempSync(join(tmpdir(), 'wharf-bench-'));
  const configPath = join(dataDir, 'wharf.yaml');
  writeFileSync(configPath, `regions:\n  - name: local\n    runtime: simulated\n    simulated: { startDelayMs: 50 }\n${regions}`);
  const port = await freePort();
  const wharf = spawn(process.execPath, ['bin/wharf.js', 'serve'], {
    env: {
      ...process.env,
      PORT: String(port),
      WHARF_DATA_DIR: dataDir,
      WHARF_CONFIG: configPath,
      WHARF_LOG_LEVEL: 'warn',
      WHARF_ADMIN_TOKEN: ADMIN_TOKEN,
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const stop = async (): Promise<void> => {
    await stopProcess(wharf);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitUntilHealthy(wharf, `http://127.0.0.1:${port}/healthz`);
  } catch (error) {
    await stop();
    throw error;
  }
  return { base: `http://127.0.0.1:${port}/regions/local/v1`, pid: wharf.pid!, stop };
}

/** A JSON call with the admin token; fails unless the answer has `status`. */
export async function call(method: string, url: string, status: number, body?: unknown): Promise<unknown> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? AUTH : { 'content-type': 'application/json', ...AUTH },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (response.status !== status) throw new Error(`${method} ${url}: ${response.status} ${text.slice(0, 500)}`);
  return text === '' ? undefined : JSON.parse(text);
}

/** Resolves once every service of the project runs its current template (a rollout is over). */
export async function waitUntilRunning(base: string, project: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const apps = (await call('GET', `${base}/projects/${project}/apps`, 200)) as Array<{ microservices: Array<{ status: { phase: string } }> }>;
    if (apps.every((app) => app.microservices.every((service) => service.status.phase === 'running'))) return;
    if (Date.now() > deadline) throw new Error(`project ${project} did not converge within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
