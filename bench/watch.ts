// What watching costs the API: GET of one service under load, with nothing else going on, then
// beside other work (100 watchers of service state while services scale every 100 ms; a client
// following the log of a container that prints without pause, when a Docker engine answers), each
// three times; prints min / median / max requests/s per condition and its median's ratio to the
// baseline's.
import { request as httpRequest, type ClientRequest } from 'node:http';
import autocannon from 'autocannon';
import { connect, engineAddress, engineAnswers } from '../src/runtime/docker/client.js';
import { claimMarkerName, networkName } from '../src/runtime/docker/labels.js';
import { cpuSeconds } from './processes.js';
import { AUTH, call, startBenchWharf, waitUntilRunning } from './wharf-server.js';

const APPS = 10;
const SERVICES_PER_APP = 10;
const WATCHERS = 100;
const WRITE_INTERVAL_MS = 100;
const RUNS = 3;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONNECTIONS = 16;
const IDLE_SAMPLE_S = 4;
/** The rows compared for the watchers' own cost: the same writes with and without them. */
const WRITES_ROW = 1;
const WATCHERS_ROW = 2;

/**
 * Something running beside the GET load. `start` sets it going and returns what stops it and
 * says what it did; the baseline runs nothing.
 */
interface Condition {
  name: string;
  start(base: string): Promise<() => Promise<string>>;
}

const CONDITIONS: Condition[] = [
  { name: 'baseline: GET alone', start: async () => async () => '' },
  // The writes cost GET on their own (each drops the service from the cache): this row tells them from the watchers' cost.
  { name: `a scale every ${WRITE_INTERVAL_MS} ms, no watcher`, start: (base) => watchersAndWrites(base, 0) },
  { name: `${WATCHERS} watchers, a scale every ${WRITE_INTERVAL_MS} ms`, start: (base) => watchersAndWrites(base, WATCHERS) },
];

/** The region of the busy container: a real one, for a simulated container writes no log. */
const DOCKER_REGION = 'bench-follow';
const FOLLOW_ROW: Condition = { name: "a follow of a busy container's log", start: (base) => followBusyLog(base) };
/**
 * About 1,000 lines of 80 bytes a second (a busy web server's access log), in bursts of 100 every
 * 0.1 s: a tight loop would spend a core of this two-core machine on the shell itself, and measure
 * that rather than the follow. It runs through every row, so each pays its small cost alike.
 */
const BUSY_SCRIPT = 'while true; do i=0; while [ $i -lt 100 ]; do echo "a busy container writes this line again and again, about eighty bytes long ....."; i=$((i+1)); done; sleep 0.1; done';

export interface WatchBenchRow {
  name: string;
  /** Requests/s of each run. */
  runs: number[];
  /**
   * The server's CPU time per GET answered, in µs, of each run: what the condition costs the
   * server itself, which holds when the machine's other work (the engine, the load generator,
   * the watch clients, all on this machine's two cores) takes CPU from it.
   */
  cpuPerRequestUs: number[];
  /** The server's CPU, as a share of one core, while the condition ran alone for IDLE_SAMPLE_S before the load: its own cost. */
  ownCpuShare: number[];
  /** What the condition did meanwhile (messages delivered, writes made). */
  note: string;
}

export async function benchWatch(): Promise<{ rows: WatchBenchRow[]; services: number; skipped?: string }> {
  const docker = await engineAnswers(engineAddress(undefined, process.env));
  const wharf = await startBenchWharf({}, docker ? `  - name: ${DOCKER_REGION}\n    runtime: docker\n    docker: { sandboxImage: wharf-e2e/sandbox:1 }\n` : '');
  try {
    await createServices(wharf.base);
    if (docker) await createBusyService(wharf.base);
    const target = `${wharf.base}/projects/p0/apps/a0/microservices/s0`;
    // A first load, not counted: the baseline would otherwise pay for V8's warm-up alone.
    await load(target);
    const conditions = docker ? [...CONDITIONS, FOLLOW_ROW] : CONDITIONS;
    const rows: WatchBenchRow[] = conditions.map((condition) => ({ name: condition.name, runs: [], cpuPerRequestUs: [], ownCpuShare: [], note: '' }));
    // Round by round, every condition once: what drifts on a shared machine meanwhile touches each alike.
    for (let run = 0; run < RUNS; run++) {
      for (const [index, condition] of conditions.entries()) {
        const row = rows[index]!;
        const stop = await condition.start(wharf.base);
        try {
          const idleBefore = cpuSeconds(wharf.pid);
          await new Promise((resolve) => setTimeout(resolve, IDLE_SAMPLE_S * 1000));
          row.ownCpuShare.push((cpuSeconds(wharf.pid) - idleBefore) / IDLE_SAMPLE_S);
          const cpuBefore = cpuSeconds(wharf.pid);
          const { rate, requests } = await load(target);
          row.runs.push(rate);
          row.cpuPerRequestUs.push(((cpuSeconds(wharf.pid) - cpuBefore) * 1e6) / requests);
        } finally {
          const note = await stop();
          if (note !== '') row.note = row.note === '' ? note : `${row.note}; ${note}`;
        }
      }
    }
    const skipped = docker ? undefined : `${FOLLOW_ROW.name}: no Docker engine answers`;
    return { rows, services: APPS * SERVICES_PER_APP, ...(skipped ? { skipped } : {}) };
  } finally {
    await wharf.stop();
    if (docker) await removeFromEngine();
  }
}

export function formatWatchBench({ rows, services, skipped }: { rows: WatchBenchRow[]; services: number; skipped?: string }): string {
  const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const percent = (value: number): string => `${value.toFixed(0)}%`;
  const baseline = rows[0]!;
  // What a GET may use of the server's CPU beside the condition's work, against the baseline's: 100% costs nothing.
  const capacity = (row: WatchBenchRow, of: WatchBenchRow): number => (100 * median(of.cpuPerRequestUs)) / median(row.cpuPerRequestUs);
  const lines = rows.map((row, index) => [
    row.name.padEnd(44),
    Math.min(...row.runs).toFixed(0).padStart(8),
    median(row.runs).toFixed(0).padStart(8),
    Math.max(...row.runs).toFixed(0).padStart(8),
    percent((100 * median(row.runs)) / median(baseline.runs)).padStart(9),
    median(row.cpuPerRequestUs).toFixed(0).padStart(9),
    percent(capacity(row, baseline)).padStart(9),
    percent(100 * median(row.ownCpuShare)).padStart(10),
    index === WATCHERS_ROW ? `${percent(capacity(row, rows[WRITES_ROW]!))} of the writes alone` : '',
  ].join(' '));
  const notes = rows.filter((row) => row.note !== '').map((row) => `  ${row.name}: ${row.note}`);
  return [
    `GET …/microservices/<name> beside other work (simulated runtime, ${services} services, ${RUNS} runs of ${DURATION_S} s, ${CONNECTIONS} connections):`,
    `requests/s; the server's own CPU per GET (µs), whose "vs base" is what GET keeps of the server (it holds when the engine,`,
    'the load generator and the watch clients take CPU from it on this two-core machine); and "alone", the share of a core the',
    `server spends on the condition with no GET load (${IDLE_SAMPLE_S} s before each run): what it takes from GET's one event loop.`,
    `${'condition'.padEnd(44)} ${'min'.padStart(8)} ${'median'.padStart(8)} ${'max'.padStart(8)} ${'vs base'.padStart(9)} ${'CPU µs'.padStart(9)} ${'vs base'.padStart(9)} ${'alone'.padStart(10)}`,
    ...lines,
    ...notes,
    ...(skipped ? [`  skipped: ${skipped}`] : []),
  ].join('\n');
}

async function createServices(base: string): Promise<void> {
  for (let a = 0; a < APPS; a++) {
    const microservices = Array.from({ length: SERVICES_PER_APP }, (_, s) => ({
      name: `s${s}`,
      type: 'stateless',
      resourceSpec: '1U1G',
      instanceNumber: 2,
      ports: [{ port: 80, protocol: 'TCP' }],
      containers: [{ name: 'web', image: 'registry.example/web:1', envs: [{ name: 'MODE', value: 'bench' }] }],
    }));
    await call('POST', `${base}/projects/p0/apps`, 201, { name: `a${a}`, microservices });
  }
  await waitUntilRunning(base, 'p0');
}

async function load(url: string): Promise<{ rate: number; requests: number }> {
  const result = await autocannon({ url, headers: AUTH, connections: CONNECTIONS, duration: DURATION_S });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`GET ${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rate: result.requests.average, requests: result.requests.total };
}

/**
 * `watcherCount` clients watching the services of app a0, as many on each, and a scale every
 * WRITE_INTERVAL_MS of those services in turn (GET's target among them): each scale makes several
 * messages (the new desire, each pod created or removed, each pod running), each sent to every
 * watcher of the service.
 */
async function watchersAndWrites(base: string, watcherCount: number): Promise<() => Promise<string>> {
  let messages = 0;
  const watchers: ClientRequest[] = [];
  for (let index = 0; index < watcherCount; index++) {
    const path = `${base}/projects/p0/apps/a0/microservices/s${index % SERVICES_PER_APP}?watch=true`;
    watchers.push(await openWatch(path, () => messages++));
  }
  let writes = 0;
  let failed: unknown;
  const timer = setInterval(() => {
    const service = writes % SERVICES_PER_APP;
    const count = 2 + (Math.floor(writes / SERVICES_PER_APP) % 2);
    writes++;
    call('PUT', `${base}/projects/p0/apps/a0/microservices/s${service}/scale/${count}`, 204).catch((error: unknown) => (failed = error));
  }, WRITE_INTERVAL_MS);
  return async () => {
    clearInterval(timer);
    for (const watcher of watchers) watcher.destroy();
    if (failed) throw failed;
    // Every row starts from the same state: GET's target with 3 pods answers a larger body than with 2.
    for (let service = 0; service < SERVICES_PER_APP; service++) await call('PUT', `${base}/projects/p0/apps/a0/microservices/s${service}/scale/2`, 204);
    await waitUntilRunning(base, 'p0');
    return watcherCount === 0 ? `${writes} scales` : `${writes} scales, ${messages} messages delivered`;
  };
}

/** Opens a watch and counts its messages; resolves once the stream is open. */
function openWatch(url: string, message: () => void): Promise<ClientRequest> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { headers: AUTH, agent: false });
    request.on('error', (error) => {
      if (!request.destroyed) reject(error);
    });
    request.on('response', (response) => {
      if (response.statusCode !== 200) reject(new Error(`watch ${url}: ${response.statusCode}`));
      response.setEncoding('utf8');
      // A message's `data:` line may be split between chunks: the end of the last one is kept.
      let tail = '';
      response.on('data', (chunk: string) => {
        const text = tail + chunk;
        for (let at = text.indexOf('\ndata: '); at >= 0; at = text.indexOf('\ndata: ', at + 1)) message();
        tail = text.slice(-6);
      });
      response.on('error', () => {});
      resolve(request);
    });
    request.end();
  });
}

function busyService(base: string): string {
  return `${base.replace('/regions/local/', `/regions/${DOCKER_REGION}/`)}/projects/p0/apps/noisy/microservices/busy`;
}

async function createBusyService(base: string): Promise<void> {
  const apps = `${base.replace('/regions/local/', `/regions/${DOCKER_REGION}/`)}/projects/p0/apps`;
  const microservices = [{ name: 'busy', type: 'stateless', resourceSpec: '1U1G', instanceNumber: 1, containers: [{ name: 'main', image: 'wharf-e2e/app:1', command: ['sh', '-c', BUSY_SCRIPT] }] }];
  await call('POST', apps, 201, { name: 'noisy', microservices });
  await waitUntilRunning(base.replace('/regions/local/', `/regions/${DOCKER_REGION}/`), 'p0');
}

/** What the Docker region left on the engine: its containers, network and claim, so the next run starts clean. */
async function removeFromEngine(): Promise<void> {
  const engine = connect(engineAddress(undefined, process.env));
  const containers = await engine.listContainers({ all: true, filters: { label: [`io.wharf.region=${DOCKER_REGION}`] } });
  await Promise.all(containers.map((container) => engine.getContainer(container.Id).remove({ force: true }).catch(() => {})));
  await engine.getNetwork(networkName(DOCKER_REGION, 'p0')).remove().catch(() => {});
  await engine.getVolume(claimMarkerName(DOCKER_REGION)).remove().catch(() => {});
}

/** One client following the busy container's log from now on, reading as fast as it comes; its stop says how much came. */
async function followBusyLog(base: string): Promise<() => Promise<string>> {
  const service = (await call('GET', busyService(base), 200)) as { pods: Array<{ name: string }> };
  const url = `${busyService(base)}/pods/${service.pods[0]!.name}/logs?follow=true&tailLines=0`;
  let bytes = 0;
  const started = Date.now();
  const follow = await new Promise<ClientRequest>((resolve, reject) => {
    const request = httpRequest(url, { headers: AUTH, agent: false });
    request.on('error', (error) => {
      if (!request.destroyed) reject(error);
    });
    request.on('response', (response) => {
      if (response.statusCode !== 200) reject(new Error(`follow ${url}: ${response.statusCode}`));
      response.on('data', (chunk: Buffer) => (bytes += chunk.length));
      response.on('error', () => {});
      resolve(request);
    });
    request.end();
  });
  return async () => {
    follow.destroy();
    const seconds = (Date.now() - started) / 1000;
    return `${(bytes / 1024).toFixed(0)} KiB followed (${(bytes / 1024 / seconds).toFixed(0)} KiB/s)`;
  };
}
