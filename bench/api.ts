// API read throughput with the simulated runtime: 1,000 services of 3 pods, then GET a service
// and GET apps under load, each beside a bare Fastify route answering a body of the same size.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { rssMegabytes, startProcess, stopProcess } from './processes.js';
import { AUTH, call, startBenchWharf, waitUntilRunning } from './wharf-server.js';

const PROJECTS = 10;
const APPS_PER_PROJECT = 10;
const SERVICES_PER_APP = 10;
const PODS_PER_SERVICE = 3;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONNECTIONS = 16;

export interface LoadResult {
  name: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  bytes: number;
}

export async function benchApi(): Promise<{ results: LoadResult[]; rssMb: number; services: number }> {
  const wharf = await startBenchWharf();
  const { base } = wharf;
  try {
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
      // In a file, not the environment: one variable holds at most 128 KiB (spawn fails with E2BIG).
      const dir = mkdtempSync(join(tmpdir(), 'wharf-bench-bare-'));
      writeFileSync(join(dir, 'body.json'), body);
      const bare = await startProcess(['--import', 'tsx', 'bench/bare-server.ts'], { BARE_BODY_FILE: join(dir, 'body.json') }, /(http:\/\/\S+)/);
      try {
        results.push(await load(`${name}: bare Fastify`, `${bare.match[1]}/bare`));
      } finally {
        await stopProcess(bare.child);
        rmSync(dir, { recursive: true, force: true });
      }
    }
    return { results, rssMb: rssMegabytes(wharf.pid), services: PROJECTS * APPS_PER_PROJECT * SERVICES_PER_APP };
  } finally {
    await wharf.stop();
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
      await call('POST', `${base}/projects/p${p}/apps`, 201, { name: `a${a}`, microservices });
    }
  }
  // Every service must be running before the reads are measured.
  for (let p = 0; p < PROJECTS; p++) await waitUntilRunning(base, `p${p}`);
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
