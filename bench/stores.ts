// The same Wharf on SQLite and on PostgreSQL: create and GET throughput, side by side.
import autocannon from 'autocannon';
import pg from 'pg';
import { AUTH, call, startBenchWharf, waitUntilRunning, type BenchWharf } from './wharf-server.js';

const CREATES = 200;
const CREATE_CONCURRENCY = 8;
const PROJECTS = 8;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);

export interface StoreResult {
  store: string;
  createsPerSecond: number;
  getsPerSecond: number;
  getP99Ms: number;
}

/** `serverUrl`: a PostgreSQL server and a role that may create databases (BENCH_DATABASE_URL). */
export async function benchStores(serverUrl: string): Promise<StoreResult[]> {
  const results = [await measure('SQLite', await startBenchWharf())];
  const database = `wharf_bench_${process.pid}`;
  await admin(serverUrl, `CREATE DATABASE ${database} TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'`);
  try {
    const url = new URL(serverUrl);
    url.pathname = `/${database}`;
    results.push(await measure('PostgreSQL', await startBenchWharf({ WHARF_DATABASE_URL: url.toString() })));
  } finally {
    await admin(serverUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
  return results;
}

export function formatStores(results: StoreResult[]): string {
  return [
    `Store engines, simulated runtime: ${CREATES} creates of an app with a service (${CREATE_CONCURRENCY} at a time), then GET one service for ${DURATION_S} s:`,
    `${'store'.padEnd(12)} ${'creates/s'.padStart(10)} ${'GET req/s'.padStart(10)} ${'GET p99 ms'.padStart(11)}`,
    ...results.map((result) =>
      `${result.store.padEnd(12)} ${result.createsPerSecond.toFixed(0).padStart(10)} ${result.getsPerSecond.toFixed(0).padStart(10)} ${result.getP99Ms.toFixed(1).padStart(11)}`),
  ].join('\n');
}

async function measure(store: string, wharf: BenchWharf): Promise<StoreResult> {
  try {
    let next = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: CREATE_CONCURRENCY }, async () => {
      while (next < CREATES) {
        const index = next++;
        // An app of one service each, over projects: a project's default quota is 100 services.
        const microservices = [{ name: 'web', type: 'stateless', resourceSpec: '1U1G', instanceNumber: 1, containers: [{ name: 'web', image: 'registry.example/web:1' }] }];
        await call('POST', `${wharf.base}/projects/p${index % PROJECTS}/apps`, 201, { name: `a${index}`, microservices });
      }
    }));
    const createsPerSecond = CREATES / ((performance.now() - started) / 1000);
    // The controller's work on what was created would otherwise share the CPU with the reads measured.
    for (let project = 0; project < PROJECTS; project++) await waitUntilRunning(wharf.base, `p${project}`);
    const get = await autocannon({ url: `${wharf.base}/projects/p0/apps/a0/microservices/web`, headers: AUTH, connections: 16, duration: DURATION_S });
    if (get.non2xx > 0 || get.errors > 0) throw new Error(`GET on ${store}: ${get.non2xx} non-2xx, ${get.errors} errors`);
    return { store, createsPerSecond, getsPerSecond: get.requests.average, getP99Ms: get.latency.p99 };
  } finally {
    await wharf.stop();
  }
}

async function admin(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
