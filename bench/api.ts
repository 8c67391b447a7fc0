// API read throughput with the simulated runtime: 1,000 services of 3 pods, then GET a service
// and GET apps under load, each beside a bare Fastify route answering a body of the same size.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { freePort, rssMegabytes, startProcess, stopProcess, waitUntilHealthy } from './processes.js';

const PROJECTS = 10;
const APPS_PER_PROJECT = 10;
const SERVICES_PER_APP = 10;
const PODS_PER_SERVICE = 3;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONNECTIONS = 16;
/** Every call carries the admin token, as a real client's would: its check is part of the cost measured. */
const ADMIN_TOKEN = 'wharf-bench-admin-token';
const AUTH = { 'x-auth-token': ADMIN_TOKEN };

export interface LoadResult {
  name: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  bytes: number;
}

export async function benchApi(): Promise<{ results: LoadResult[]; rssMb: number; services: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'wharf-bench-'));
  const configPath = join(dataDir, 'wharf.yaml');
  writeFileSync(configPath, 'regions:\n  - name: local\n    runtime: simulated\n    simulated: { startDelayMs: 50 }\n');
  const port = await freePort();
  const wharf = spawn(process.execPath, ['bin/wharf.js', 'serve'], {
    env: {
      ...process.env,
      PORT: String(port),
      WHARF_DATA_DIR: dataDir,
      WHARF_CONFIG: configPath,
      WHARF_LOG_LEVEL: 'warn',
      WHARF_ADMIN_TOKEN: ADMIN_TOKEN,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}/regions/local/v1`;
  try {
    await waitUntilHealthy(wharf, `http://127.0.0.1:${port}/healthz`);
    await createFleet(base);
    const servicePath = `${base}/projects/p0/apps/a0/microservices/s0`;
    const appsPath = `${base}/projects/p0/apps`;
    const results: LoadResult[] = [];
    for (const [name, url] of [
      ['GET microservice', servicePath],
      ['GET apps (10 apps x 10 services)', appsPath],
    ] as const) {
      const body = await (await fetch(url, { headers: AUTH })).text();
      results.push(await load(`${name}: Wharf`, url));
      const bare = await startProcess(['--import', 'tsx', 'bench/bare-server.ts'], { BARE_BODY: body }, /(http:\/\/\S+)/);
      try {
        results.push(await load(`${name}: bare Fastify`, `${bare.match[1]}/bare`));
      } finally {
        await stopProcess(bare.child);
      }
    }
    return { results, rssMb: rssMegabytes(wharf.pid!), services: PROJECTS * APPS_PER_PROJECT * SERVICES_PER_APP };
  } finally {
    await stopProcess(wharf);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function createFleet(base: string): Promise<void> {
  for (let p = 0; p < PROJECTS; p++) {
    for (let a = 0; a < APPS_PER_PROJECT; a++) {
      const microservices = Array.from({ length: SERVICES_PER_APP }, (_, s) => ({
        name: `s${s}`,
        type: 'stateless',
        resourceSpec: '1U1G',
        instanceNumber: PODS_PER_SERVICE,
        ports: [{ port: 80, protocol: 'TCP' }],
        containers: [{ name: 'web', image: 'registry.example/web:1', envs: [{ name: 'MODE', value: 'bench' }] }],
      }));
      const response = await fetch(`${base}/projects/p${p}/apps`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...AUTH },
        body: JSON.stringify({ name: `a${a}`, microservices }),
      });
      if (response.status !== 201) throw new Error(`creating app a${a}: ${response.status} ${await response.text()}`);
    }
  }
  // Every service must be running before the reads are measured.
  const deadline = Date.now() + 120_000;
  for (let p = 0; p < PROJECTS; p++) {
    for (;;) {
      const apps = (await (await fetch(`${base}/projects/p${p}/apps`, { headers: AUTH })).json()) as Array<{
        microservices: Array<{ status: { phase: string } }>;
      }>;
      if (apps.every((app) => app.microservices.every((service) => service.status.phase === 'running'))) break;
      if (Date.now() > deadline) throw new Error(`project p${p} did not converge within 120 s`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

async function load(name: string, url: string): Promise<LoadResult> {
  const result = await autocannon({ url, headers: AUTH, connections: CONNECTIONS, duration: DURATION_S });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return {
    name,
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    bytes: Math.round(result.throughput.total / Math.max(result.requests.total, 1)),
  };
}
