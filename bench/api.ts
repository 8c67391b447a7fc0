// API reads with the simulated runtime (issue 15): GET of one service under three server
// configurations, GET of a project's apps (100 and 1,000 services), and GET of one service while
// the large list runs beside it; each beside a bare Fastify route answering the same bytes. Wharf
// and the bare route are processes of their own, autocannon runs in this one, and each run reads
// the server's own CPU time from /proc: what it costs the server holds on a machine whose other
// work takes CPU from it, while requests/s does not. Alone: `npm run build && node --import tsx bench/api.ts`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { cpuSeconds, rssMegabytes, startProcess, stopProcess } from './processes.js';
import { spread, type Spread } from './stats.js';
import { AUTH, call, startBenchWharf, waitUntilRunning } from './wharf-server.js';

const RUNS = 3;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
/**
 * Not counted, before each row on each server: the first run would otherwise pay for V8's warm-up
 * alone. Its rate sets how many requests each run makes, which makes it last about DURATION_S.
 */
const WARM_UP_S = 2;
/**
 * A run whose CPU is shown is a number of requests, not a time: cut off at a time, the requests in
 * flight would cost the server CPU without being counted (8 lists of 1.7 MB against a dozen answered).
 * autocannon ends a run at the first sample after its last answer and counts the wait in its
 * duration: sampling every 0.1 s rather than every second keeps that wait small.
 */
const SAMPLE_MS = 100;
/** How long Wharf's CPU is sampled with no load once the fleet runs: background work that every CPU µs/req includes. */
const IDLE_SAMPLE_S = 3;
/**
 * Before that sample: running pods become available minReadySeconds (10 s by default) later, and
 * each service's rollout then ends with a write; sampled sooner, that work showed as 11-23% "idle".
 */
const SETTLE_S = 12;
const SERVICE_CLIENTS = 16;
const LIST_CLIENTS = 8;
/** One client reading a service beside the lists: the wait one user sees, not a queue of reads of its own. */
const PROBE_CLIENTS = 1;
const SERVICES_PER_APP = 10;
const PODS_PER_SERVICE = 3;
/** Its 1,000 services are the fleet GET one service reads from; its list is the large one. */
const LARGE_PROJECT = { name: 'large', apps: 100 };
const SMALL_PROJECT = { name: 'small', apps: 10 };

/** What the loads read; the bare server answers each body at `/<read>`. */
type Read = 'service' | 'smallList' | 'largeList';
const WHARF_PATHS: Record<Read, string> = {
  service: `projects/${LARGE_PROJECT.name}/apps/a0/microservices/s0`,
  smallList: `projects/${SMALL_PROJECT.name}/apps`,
  largeList: `projects/${LARGE_PROJECT.name}/apps`,
};

interface Configuration {
  name: string;
  env: NodeJS.ProcessEnv;
  headers: Record<string, string>;
}

/** The server as it ships (log level info, authentication on): the lists are read from this one. */
const DEFAULT_CONFIGURATION: Configuration = { name: 'default log level (info), admin token', env: { WHARF_LOG_LEVEL: 'info' }, headers: AUTH };
/** What GET of one service gains without request logging, then without the token check too (allowed on loopback only). */
const LEANER_CONFIGURATIONS: Configuration[] = [
  { name: 'log level warn, admin token', env: { WHARF_LOG_LEVEL: 'warn' }, headers: AUTH },
  { name: 'log level warn, auth off', env: { WHARF_LOG_LEVEL: 'warn', WHARF_AUTH: 'off' }, headers: {} },
];

/** A server under load: its process, for its CPU time, and where it answers each read. */
interface Server {
  pid: number;
  headers: Record<string, string>;
  urls: Record<Read, string>;
}

interface Run {
  requestsPerSecond: number;
  /** The server's CPU time per request answered; undefined when another load ran beside the one measured. */
  cpuPerRequestUs: number | undefined;
  p50Ms: number;
  p99Ms: number;
}

export interface Measured {
  requestsPerSecond: Spread;
  cpuPerRequestUs: Spread | undefined;
  p50Ms: Spread;
  p99Ms: Spread;
}

/** The medians whose Wharf-over-bare ratio a row prints. */
export type Compared = 'requestsPerSecond' | 'cpuPerRequestUs' | 'p99Ms';

export interface ApiRow {
  request: string;
  clients: string;
  wharf: Measured;
  bare: Measured;
  compared: Compared[];
  /** The issue's goal for this row, printed beside it; nothing is asserted. */
  target: string;
}

export interface ApiBench {
  rows: ApiRow[];
  services: number;
  /** Wharf's RSS in the default configuration, after its loads. */
  rssMb: number;
  /** Wharf's CPU with no load, as a share of one core, per configuration. */
  idle: Array<{ configuration: string; cpuShare: number }>;
  /** The machine's 1-minute load average when the bench started: other work on it moves every number. */
  loadAverage: number;
}

interface RowLoad {
  request: string;
  /** The read measured, by `connections` clients. */
  read: Read;
  connections: number;
  /** A load on the server all through each run, not measured itself. */
  beside?: { read: Read; connections: number };
  compared: Compared[];
  target: string;
}

export async function benchApi(): Promise<ApiBench> {
  const [loadAverage] = loadavg() as [number];
  const rows: ApiRow[] = [];
  const idle: ApiBench['idle'] = [];
  let bare: BareServer | undefined;
  let rssMb = NaN;
  try {
    for (const configuration of [DEFAULT_CONFIGURATION, ...LEANER_CONFIGURATIONS]) {
      const wharf = await startBenchWharf(configuration.env);
      try {
        await createFleet(wharf.base);
        await new Promise((resolve) => setTimeout(resolve, SETTLE_S * 1000));
        const idleBefore = cpuSeconds(wharf.pid);
        await new Promise((resolve) => setTimeout(resolve, IDLE_SAMPLE_S * 1000));
        idle.push({ configuration: configuration.name, cpuShare: (cpuSeconds(wharf.pid) - idleBefore) / IDLE_SAMPLE_S });
        const server: Server = { pid: wharf.pid, headers: configuration.headers, urls: urlsOf(wharf.base, (read) => WHARF_PATHS[read]) };
        // The bare route answers the default configuration's bodies; the others' differ only in names and times.
        bare ??= await startBare(server);
        for (const load of rowLoads(configuration, bare.bytes)) rows.push(await measure(load, server, bare.server));
        if (configuration === DEFAULT_CONFIGURATION) rssMb = rssMegabytes(wharf.pid);
      } finally {
        await wharf.stop();
      }
    }
  } finally {
    await bare?.stop();
  }
  return { rows, services: (LARGE_PROJECT.apps + SMALL_PROJECT.apps) * SERVICES_PER_APP, rssMb, idle, loadAverage };
}

/** GET of one service in every configuration; the lists, and the read beside them, in the default one. */
function rowLoads(configuration: Configuration, bytes: Record<Read, number>): RowLoad[] {
  const service: RowLoad = {
    request: `GET one service (${size(bytes.service)}), ${configuration.name}`,
    read: 'service',
    connections: SERVICE_CLIENTS,
    compared: ['requestsPerSecond', 'cpuPerRequestUs'],
    target: 'req/s >= 0.5x bare (moonshot 0.8x)',
  };
  if (configuration !== DEFAULT_CONFIGURATION) return [service];
  return [
    service,
    {
      request: `GET apps, ${SMALL_PROJECT.apps} apps x ${SERVICES_PER_APP} services (${size(bytes.smallList)})`,
      read: 'smallList',
      connections: LIST_CLIENTS,
      compared: ['requestsPerSecond', 'cpuPerRequestUs'],
      target: '',
    },
    {
      request: `GET apps, ${LARGE_PROJECT.apps} apps x ${SERVICES_PER_APP} services (${size(bytes.largeList)})`,
      read: 'largeList',
      connections: LIST_CLIENTS,
      compared: ['requestsPerSecond', 'cpuPerRequestUs'],
      target: 'p50 < 50 ms',
    },
    {
      request: `GET one service, the ${LARGE_PROJECT.apps}-app list beside it`,
      read: 'service',
      connections: PROBE_CLIENTS,
      beside: { read: 'largeList', connections: LIST_CLIENTS },
      compared: ['p99Ms'],
      target: 'p99 < 20 ms',
    },
  ];
}

export function formatApiBench({ rows, services, rssMb, idle, loadAverage }: ApiBench): string {
  // Small values keep a decimal: a list read 2.4 times a second, a GET answered in 1.5 ms.
  const figure = (value: number): string => (Number.isFinite(value) ? value.toFixed(value < 10 ? 1 : 0) : `>${DURATION_S}s`);
  const cell = (values: Spread | undefined): string => (values ? [values.min, values.median, values.max].map(figure).join('/') : '-');
  const ratioNames: Record<Compared, string> = { requestsPerSecond: 'req/s', cpuPerRequestUs: 'CPU', p99Ms: 'p99' };
  const ratios = (row: ApiRow): string =>
    row.compared.map((name) => {
      const [wharf, bare] = [row.wharf[name]!.median, row.bare[name]!.median];
      // A latency of a run with no answer has no ratio.
      return `${ratioNames[name]} ${Number.isFinite(wharf) && Number.isFinite(bare) ? `${(wharf / bare).toFixed(2)}x` : '-'}`;
    }).join(', ');
  const line = (request: string, clients: string, server: string, measured: string[], ratio: string, target: string): string =>
    [request.padEnd(64), clients.padStart(10), server.padEnd(5), ...measured.map((text, index) => text.padStart(index === 1 ? 20 : 17)), ratio.padEnd(23), target]
      .join('  ')
      .trimEnd();
  const columns = (measured: Measured): string[] => [cell(measured.requestsPerSecond), cell(measured.cpuPerRequestUs), cell(measured.p50Ms), cell(measured.p99Ms)];
  return [
    `API reads, simulated runtime, ${services.toLocaleString('en-US')} services x ${PODS_PER_SERVICE} pods (project "${LARGE_PROJECT.name}": ${LARGE_PROJECT.apps} apps x ${SERVICES_PER_APP} services,`,
    `"${SMALL_PROJECT.name}": ${SMALL_PROJECT.apps} x ${SERVICES_PER_APP}). Wharf, a process of its own per configuration, each with the same fleet, beside a bare`,
    'Fastify route answering the same bytes (a process of its own too); autocannon runs in the bench process.',
    `Each cell: min/median/max of ${RUNS} runs of about ${DURATION_S} s, the two servers' runs in turn. CPU µs/req: the server process's CPU time`,
    "per request answered. ratio: Wharf's median over the bare route's. Targets are the issue's: printed, not asserted.",
    `Load average at the start: ${loadAverage.toFixed(1)} on ${availableParallelism()} cores (every server and the load generator share this machine).`,
    line('request', 'clients', 'server', ['req/s', 'CPU µs/req', 'p50 ms', 'p99 ms'], 'ratio', 'target'),
    ...rows.flatMap((row) => [
      line(row.request, row.clients, 'Wharf', columns(row.wharf), ratios(row), row.target),
      line('', '', 'bare', columns(row.bare), '', ''),
    ]),
    `Wharf's CPU with no load (${IDLE_SAMPLE_S} s, ${SETTLE_S} s after the fleet runs), a share of one core that every CPU µs/req above includes:`,
    `  ${idle.map(({ configuration, cpuShare }) => `${configuration} ${(100 * cpuShare).toFixed(0)}%`).join('; ')}`,
    `Wharf's RSS after the default configuration's loads: ${rssMb.toFixed(0)} MB`,
  ].join('\n');
}

/** Both servers, run after run in turn: what drifts on a shared machine meanwhile touches each alike. */
async function measure(load: RowLoad, wharf: Server, bare: Server): Promise<ApiRow> {
  const length = async (server: Server): Promise<Length> => {
    const warmUp = await run(load, server, { duration: WARM_UP_S });
    // Beside another load the server's CPU is not shown, so the requests cut off at the end cost nothing shown: a time will do.
    if (load.beside) return { duration: DURATION_S };
    return { amount: Math.max(load.connections, Math.round(warmUp.requestsPerSecond * DURATION_S)) };
  };
  const lengths = { wharf: await length(wharf), bare: await length(bare) };
  const runs: Record<'wharf' | 'bare', Run[]> = { wharf: [], bare: [] };
  for (let round = 0; round < RUNS; round++) {
    runs.wharf.push(await run(load, wharf, lengths.wharf));
    runs.bare.push(await run(load, bare, lengths.bare));
  }
  const clients = load.beside ? `${load.connections} + ${load.beside.connections} list` : String(load.connections);
  return { request: load.request, clients, compared: load.compared, target: load.target, wharf: summary(runs.wharf), bare: summary(runs.bare) };
}

function summary(runs: Run[]): Measured {
  const cpu = runs.map((run) => run.cpuPerRequestUs);
  return {
    requestsPerSecond: spread(runs.map((run) => run.requestsPerSecond)),
    cpuPerRequestUs: cpu.every((value) => value !== undefined) ? spread(cpu) : undefined,
    p50Ms: spread(runs.map((run) => run.p50Ms)),
    p99Ms: spread(runs.map((run) => run.p99Ms)),
  };
}

type Length = { duration: number } | { amount: number };

/** One run of the row's read, with its `beside` load going all through it. */
async function run(load: RowLoad, server: Server, length: Length): Promise<Run> {
  const stopBeside = load.beside && (await startBesideLoad(server, load.beside.read, load.beside.connections));
  const cpuBefore = cpuSeconds(server.pid);
  try {
    const result = await autocannonRun(server, load.read, load.connections, length);
    // No answer within the run (a machine too busy for its length): later than its end, not autocannon's 0 ms.
    const latency = (ms: number): number => (result.requests.total > 0 ? ms : Infinity);
    return {
      requestsPerSecond: result.requests.total / result.duration,
      // With another load beside it, the server's CPU is no longer this read's.
      cpuPerRequestUs: stopBeside ? undefined : ((cpuSeconds(server.pid) - cpuBefore) * 1e6) / result.requests.total,
      p50Ms: latency(result.latency.p50),
      p99Ms: latency(result.latency.p99),
    };
  } finally {
    if (stopBeside) await stopBeside();
  }
}

/** Fails on any answer but a success: a rate of errors is no measure of reads. */
async function autocannonRun(server: Server, read: Read, connections: number, length: Length): Promise<autocannon.Result> {
  const url = server.urls[read];
  const result = await autocannon({ url, headers: server.headers, connections, sampleInt: SAMPLE_MS, ...loadWorkers(connections), ...length });
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(`GET ${url}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
  return result;
}

/**
 * The load generator's threads, when its connections can be dealt to them: one thread reading 8
 * answers of 1.7 MB was the limit (111 req/s, p50 68 ms), not Wharf (606 req/s, p50 10 ms with two).
 */
function loadWorkers(connections: number): { workers?: number } {
  const workers = Math.min(2, availableParallelism());
  return workers > 1 && connections >= 2 * workers ? { workers } : {};
}

/** The load beside the one measured, in a process of its own (see bench/load-process.ts); resolves once it is answered, to what stops it. */
async function startBesideLoad(server: Server, read: Read, connections: number): Promise<() => Promise<void>> {
  const env = { LOAD_URL: server.urls[read], LOAD_CONNECTIONS: String(connections), LOAD_HEADERS: JSON.stringify(server.headers) };
  const { child } = await startProcess(['--import', 'tsx', 'bench/load-process.ts'], env, /loading/);
  return async () => {
    await stopProcess(child);
    if (child.exitCode !== 0) throw new Error(`the load beside the one measured, GET ${env.LOAD_URL}, failed (exit code ${child.exitCode})`);
  };
}

async function createFleet(base: string): Promise<void> {
  for (const project of [LARGE_PROJECT, SMALL_PROJECT]) {
    // No limit: the default quota (100 services) would stop the large project at its tenth app.
    await call('PUT', `${base}/projects/${project.name}/quota`, 200, {});
    for (let a = 0; a < project.apps; a++) {
      const microservices = Array.from({ length: SERVICES_PER_APP }, (_, s) => ({
        name: `s${s}`,
        type: 'stateless',
        resourceSpec: '1U1G',
        instanceNumber: PODS_PER_SERVICE,
        // The pods count as available at once: the default 10 s would be waited out for every configuration.
        minReadySeconds: 0,
        ports: [{ port: 80, protocol: 'TCP' }],
        containers: [{ name: 'web', image: 'registry.example/web:1', envs: [{ name: 'MODE', value: 'bench' }] }],
      }));
      await call('POST', `${base}/projects/${project.name}/apps`, 201, { name: `a${a}`, microservices });
    }
  }
  // Every service must be running before the reads are measured: the bodies are then final.
  for (const project of [LARGE_PROJECT, SMALL_PROJECT]) await waitUntilRunning(base, project.name);
}

function urlsOf(base: string, path: (read: Read) => string): Record<Read, string> {
  return { service: `${base}/${path('service')}`, smallList: `${base}/${path('smallList')}`, largeList: `${base}/${path('largeList')}` };
}

interface BareServer {
  server: Server;
  /** The size of each body, in bytes. */
  bytes: Record<Read, number>;
  stop(): Promise<void>;
}

/** The bare route, answering the bodies Wharf answers now; fails unless it answers the very same bytes. */
async function startBare(wharf: Server): Promise<BareServer> {
  const reads = Object.keys(WHARF_PATHS) as Read[];
  const bodies = {} as Record<Read, string>;
  for (const read of reads) bodies[read] = await text(wharf.urls[read], wharf.headers);
  // Files, not the environment: one variable holds at most 128 KiB (spawn fails with E2BIG).
  const dir = mkdtempSync(join(tmpdir(), 'wharf-bench-bare-'));
  try {
    for (const read of reads) writeFileSync(join(dir, `${read}.json`), bodies[read]);
    const bare = await startProcess(['--import', 'tsx', 'bench/bare-server.ts'], { BARE_BODIES_DIR: dir }, /(http:\/\/\S+)/);
    const server: Server = { pid: bare.child.pid!, headers: {}, urls: urlsOf(bare.match[1]!, (read) => read) };
    try {
      for (const read of reads) {
        const answer = await text(server.urls[read], {});
        if (answer !== bodies[read]) throw new Error(`the bare route answers ${read} with other bytes than Wharf (${answer.length} characters, not ${bodies[read].length})`);
      }
    } catch (error) {
      await stopProcess(bare.child);
      throw error;
    }
    const bytes = {} as Record<Read, number>;
    for (const read of reads) bytes[read] = Buffer.byteLength(bodies[read]);
    return { server, bytes, stop: () => stopProcess(bare.child) };
  } finally {
    // The bare server read them as it started.
    rmSync(dir, { recursive: true, force: true });
  }
}

async function text(url: string, headers: Record<string, string>): Promise<string> {
  const response = await fetch(url, { headers });
  const body = await response.text();
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${body.slice(0, 500)}`);
  return body;
}

function size(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(bytes >= 1e5 ? 0 : 1)} KB`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(`${formatApiBench(await benchApi())}\n`);
}
