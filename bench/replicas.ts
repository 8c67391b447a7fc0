// GET of one service and create of an app, each under load, on one Wharf on SQLite, one on
// PostgreSQL, and three on one PostgreSQL database with the load dealt to them in turn; side by
// side, with the servers' CPU per request. Alone: `npm run build && node --import tsx bench/replicas.ts`.
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { cpuSeconds } from './processes.js';
import { AUTH, call, startBenchWharf, waitUntilRunning, type BenchWharf } from './wharf-server.js';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const WARM_UP_S = 3;
/** A multiple of three: autocannon deals its connections to the URLs in turn, so each replica gets as many. */
const CONNECTIONS = 12;
const CREATES = 1000;
/** Each app has one service, and a project's default quota is 100 services. */
const APPS_PER_PROJECT = 50;
const TARGET = 'projects/bench/apps/target/microservices/web';
/** How long the servers' CPU is sampled with no load, once what was created runs: the background work each GET's CPU includes. */
const IDLE_SAMPLE_S = 4;

interface Load {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU time of all the configuration's servers per request answered, in µs. */
  cpuPerRequestUs: number;
}

export interface ReplicasRow {
  configuration: string;
  get: Load;
  create: Load;
  /** The servers' CPU with no load, as a share of one core, all replicas together. */
  idleCpuShare: number;
}

export interface ReplicasBench {
  rows: ReplicasRow[];
  /** The machine's 1-minute load average when the bench started: other work on it moves every number. */
  loadAverage: number;
  /** Why the PostgreSQL rows are missing, when they are. */
  skipped?: string;
}

/** `serverUrl`: a PostgreSQL server and a role that may create databases; without one, SQLite alone. */
export async function benchReplicas(serverUrl: string | undefined): Promise<ReplicasBench> {
  const [loadAverage] = loadavg() as [number];
  const rows = [await measure('one Wharf, SQLite', [await startBenchWharf()])];
  if (!serverUrl) return { rows, loadAverage, skipped: 'PostgreSQL rows skipped: set WHARF_BENCH_DATABASE_URL (or WHARF_TEST_DATABASE_URL) to a server and a role that may create databases' };
  for (const [configuration, replicas] of [['one Wharf, PostgreSQL', 1], ['three Wharfs, one PostgreSQL', 3]] as const) {
    // A database of its own: each configuration starts from an empty store.
    const database = `wharf_bench_${process.pid}_${replicas}`;
    await admin(serverUrl, `CREATE DATABASE ${database} TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'`);
    try {
      const url = new URL(serverUrl);
      url.pathname = `/${database}`;
      const wharfs: BenchWharf[] = [];
      try {
        for (let replica = 0; replica < replicas; replica++) wharfs.push(await startBenchWharf({ WHARF_DATABASE_URL: url.toString() }));
      } catch (error) {
        await Promise.all(wharfs.map((wharf) => wharf.stop()));
        throw error;
      }
      rows.push(await measure(configuration, wharfs));
    } finally {
      await admin(serverUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    }
  }
  return { rows, loadAverage };
}

export function formatReplicas({ rows, loadAverage, skipped }: ReplicasBench): string {
  const columns = (load: Load): string =>
    [load.requestsPerSecond.toFixed(0).padStart(7), load.p50Ms.toFixed(1).padStart(7), load.p99Ms.toFixed(1).padStart(7), load.cpuPerRequestUs.toFixed(0).padStart(7)].join(' ');
  const heads = `${'req/s'.padStart(7)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'CPU µs'.padStart(7)}`;
  return [
    `One Wharf or three, simulated runtime: GET one service for ${DURATION_S} s; create ${CREATES} apps of one service; ${CONNECTIONS} connections,`,
    `dealt to three replicas in turn (${CONNECTIONS / 3} each). CPU µs: the servers' CPU time (all replicas together) per request answered.`,
    `idle: the servers' CPU with no load (${IDLE_SAMPLE_S} s, once every pod created runs), as a share of one core: background work in every CPU µs.`,
    `Load average at the start: ${loadAverage.toFixed(1)} (every server, PostgreSQL and the load generator share this machine).`,
    `${''.padEnd(30)}   ${'GET one service'.padEnd(31)}   create an app`,
    `${'configuration'.padEnd(30)}   ${heads}   ${heads}   ${'idle'.padStart(6)}`,
    ...rows.map((row) => `${row.configuration.padEnd(30)}   ${columns(row.get)}   ${columns(row.create)}   ${`${(100 * row.idleCpuShare).toFixed(0)}%`.padStart(6)}`),
    ...(skipped ? [skipped] : []),
  ].join('\n');
}

async function measure(configuration: string, wharfs: BenchWharf[]): Promise<ReplicasRow> {
  try {
    const [first] = wharfs as [BenchWharf];
    const microservices = [{ name: 'web', type: 'stateless', resourceSpec: '1U1G', instanceNumber: 1, containers: [{ name: 'web', image: 'registry.example/web:1' }] }];
    await call('POST', `${first.base}/projects/bench/apps`, 201, { name: 'target', microservices });
    await waitUntilRunning((await leaderOf(wharfs)).base, 'bench');
    const targets = wharfs.map((wharf) => `${wharf.base}/${TARGET}`);
    // Not counted: the first configuration would otherwise pay for V8's warm-up alone.
    await load(wharfs, { url: targets, headers: AUTH, connections: CONNECTIONS, duration: WARM_UP_S });

    let created = 0;
    const apps = new URL(first.base).pathname;
    const create = await load(wharfs, {
      url: wharfs.map((wharf) => wharf.base),
      connections: CONNECTIONS,
      amount: CREATES,
      requests: [{
        method: 'POST',
        setupRequest: (request) => {
          const index = created++;
          const body = { name: `a${index % APPS_PER_PROJECT}`, microservices };
          return { ...request, path: `${apps}/projects/p${Math.floor(index / APPS_PER_PROJECT)}/apps`, headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify(body) };
        },
      }],
    });
    // The controller's work on what was created would otherwise share the CPU with the reads measured.
    const leader = await leaderOf(wharfs);
    for (let project = 0; project * APPS_PER_PROJECT < CREATES; project++) await waitUntilRunning(leader.base, `p${project}`);
    const idleBefore = cpuOf(wharfs);
    await new Promise((resolve) => setTimeout(resolve, IDLE_SAMPLE_S * 1000));
    const idleCpuShare = (cpuOf(wharfs) - idleBefore) / IDLE_SAMPLE_S;
    const get = await load(wharfs, { url: targets, headers: AUTH, connections: CONNECTIONS, duration: DURATION_S });
    return { configuration, get, create, idleCpuShare };
  } finally {
    await Promise.all(wharfs.map((wharf) => wharf.stop()));
  }
}

/** autocannon's options with several URLs, each connection given the next: its README allows it, its types do not. */
type LoadOptions = Omit<autocannon.Options, 'url'> & { url: string[] };

/** Runs a load against the servers; fails on any answer but a success. */
async function load(wharfs: BenchWharf[], options: LoadOptions): Promise<Load> {
  const cpuBefore = cpuOf(wharfs);
  const result = await autocannon(options as unknown as autocannon.Options);
  const cpuUsed = cpuOf(wharfs) - cpuBefore;
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(`${options.requests?.[0]?.method ?? 'GET'} ${options.url.join(' ')}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
  return {
    requestsPerSecond: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    cpuPerRequestUs: (cpuUsed * 1e6) / result.requests.total,
  };
}

/**
 * The replica that runs region `local`'s controller: on the simulated runtime only its pods exist
 * (each process simulates its own), so only it sees a service running.
 */
async function leaderOf(wharfs: BenchWharf[], timeoutMs = 60_000): Promise<BenchWharf> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const wharf of wharfs) {
      const health = (await (await fetch(new URL('/healthz', wharf.base))).json()) as { leads: string[] };
      if (health.leads.includes('local')) return wharf;
    }
    if (Date.now() > deadline) throw new Error(`no replica leads region local within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** CPU seconds the servers have used, together. */
function cpuOf(wharfs: BenchWharf[]): number {
  return wharfs.reduce((sum, wharf) => sum + cpuSeconds(wharf.pid), 0);
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

/** A PostgreSQL server and a role that may create databases, as WHARF_TEST_DATABASE_URL is for the tests. */
export function benchDatabaseUrl(): string | undefined {
  return process.env.WHARF_BENCH_DATABASE_URL || process.env.WHARF_TEST_DATABASE_URL || undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(`${formatReplicas(await benchReplicas(benchDatabaseUrl()))}\n`);
}
