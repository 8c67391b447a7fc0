// 10,000 services on the simulated runtime (issue 15): how long a Wharf takes to create them and to
// start on them again, its memory, and whether the controller's resyncs hold requests back: GET one
// service with no resync to come, then while a resync of every service comes each second.
// Alone: `npm run build && node --import tsx bench/controller-load.ts`.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Agent, get } from 'node:http';
import { cpuSeconds, rssMegabytes } from './processes.js';
import { AUTH, call, startBenchWharf, type BenchWharf } from './wharf-server.js';

const PROJECTS = 10;
const APPS_PER_PROJECT = 100;
const SERVICES_PER_APP = 10;
const SERVICES = PROJECTS * APPS_PER_PROJECT * SERVICES_PER_APP;
/** POSTs in flight while the fleet is created. */
const CREATE_CLIENTS = 8;
/**
 * GETs sent each second, on schedule whatever the server does (an open loop): a client that waits
 * for each answer before the next sends nothing while the server stalls, so a 400 ms stall counted
 * once, and its p99 hid it. Here every request due during a stall waits it out, as users' would.
 */
const LOAD_RATE = 500;
/** Sockets for the GETs: enough that a request never waits for one in the client, even through a stall. */
const LOAD_SOCKETS = 256;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
/** The resync interval of the server measured during resyncs: one sweep of every service each second. */
const RESYNC_S = 1;
/** Longer than the bench: the idle server never resyncs while it is measured. */
const NO_RESYNC_S = 3600;
const TARGET = 'projects/p0/apps/a0/microservices/s0';
/** Available at once: the rollouts end as the pods run, and the controller is idle after. */
const SERVICE = { type: 'stateless', resourceSpec: '1U1G', instanceNumber: 1, minReadySeconds: 0, containers: [{ name: 'web', image: 'registry.example/web:1' }] };

interface Latency {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Reconciles the controller did during the load. */
  reconciles: number;
  /** The server's CPU during the load, as a share of one core. */
  cpuShare: number;
}

export interface ControllerLoad {
  services: number;
  /** A fresh server: from the first POST until every POST was answered, and until every pod runs. */
  create: { createdS: number; convergedS: number; rssMb: number };
  /** The same store, a new process: from its spawn until /healthz answers, and until every pod runs again. */
  restart: { listeningS: number; convergedS: number; rssMb: number };
  idle: Latency;
  duringResyncs: Latency;
  /** The machine's 1-minute load average when the bench started, and its cores: other work moves every number. */
  loadAverage: number;
  cpus: number;
}

export async function benchControllerLoad(): Promise<ControllerLoad> {
  const [loadAverage] = loadavg() as [number];
  // One store for every server: the restarts find the fleet the first one created.
  const dataDir = mkdtempSync(join(tmpdir(), 'wharf-bench-controller-'));
  const serverOn = (resyncSeconds: number): Promise<BenchWharf> =>
    startBenchWharf({ WHARF_DATA_DIR: dataDir, WHARF_CONTROLLER_RESYNC_SECONDS: String(resyncSeconds) });
  try {
    const fresh = await serverOn(NO_RESYNC_S);
    let create: ControllerLoad['create'];
    let idle: Latency;
    try {
      const started = performance.now();
      await createFleet(fresh.base);
      const createdS = (performance.now() - started) / 1000;
      await untilRunning(fresh.base);
      create = { createdS, convergedS: (performance.now() - started) / 1000, rssMb: rssMegabytes(fresh.pid) };
      // The rollouts' records written, nothing left queued: idle.
      await untilRunning(fresh.base, { idle: true });
      idle = await load(fresh);
    } finally {
      await fresh.stop();
    }

    // The default resync: the first sweep comes well after the start is over.
    const spawned = performance.now();
    const restarted = await startBenchWharf({ WHARF_DATA_DIR: dataDir });
    let restart: ControllerLoad['restart'];
    try {
      const listeningS = (performance.now() - spawned) / 1000;
      await untilRunning(restarted.base);
      restart = { listeningS, convergedS: (performance.now() - spawned) / 1000, rssMb: rssMegabytes(restarted.pid) };
    } finally {
      await restarted.stop();
    }

    const resyncing = await serverOn(RESYNC_S);
    try {
      await untilRunning(resyncing.base);
      return { services: SERVICES, create, restart, idle, duringResyncs: await load(resyncing), loadAverage, cpus: availableParallelism() };
    } finally {
      await resyncing.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export function formatControllerLoad(result: ControllerLoad): string {
  const { create, restart, idle, duringResyncs } = result;
  const row = (name: string, latency: Latency): string =>
    [
      name.padEnd(34),
      latency.requestsPerSecond.toFixed(0).padStart(7),
      latency.p50Ms.toFixed(2).padStart(7),
      latency.p99Ms.toFixed(2).padStart(7),
      latency.maxMs.toFixed(1).padStart(7),
      String(latency.reconciles).padStart(11),
      `${(100 * latency.cpuShare).toFixed(0)}%`.padStart(6),
    ].join(' ');
  return [
    `The controller under ${result.services.toLocaleString('en')} services (${PROJECTS} projects x ${APPS_PER_PROJECT} apps x ${SERVICES_PER_APP}), simulated runtime, SQLite.`,
    `Load average at the start: ${result.loadAverage.toFixed(1)} on ${result.cpus} cores (the server, the load generator and anything else share them).`,
    `create (fresh server, ${CREATE_CLIENTS} clients): every POST answered in ${create.createdS.toFixed(1)} s, every pod running at ${create.convergedS.toFixed(1)} s; RSS ${create.rssMb.toFixed(0)} MB`,
    `restart on that store: /healthz answers ${restart.listeningS.toFixed(1)} s after the spawn, every pod running again at ${restart.convergedS.toFixed(1)} s; RSS ${restart.rssMb.toFixed(0)} MB`,
    `GET one service, ${LOAD_RATE} a second sent on schedule (an open loop), ${DURATION_S} s; reconciles: the controller's during the load; CPU: the server's, share of one core`,
    `${'server'.padEnd(34)} ${'req/s'.padStart(7)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'max ms'.padStart(7)} ${'reconciles'.padStart(11)} ${'CPU'.padStart(6)}`,
    row('idle (no resync due)', idle),
    row(`resyncing every ${RESYNC_S} s`, duringResyncs),
    `p99 during resyncs / idle p99: ${(duringResyncs.p99Ms / idle.p99Ms).toFixed(2)}x (target: within 2x)`,
  ].join('\n');
}

/** Every project's quota lifted (a project's default is 100 services), then its apps, CREATE_CLIENTS POSTs at a time. */
async function createFleet(base: string): Promise<void> {
  for (let project = 0; project < PROJECTS; project++) await call('PUT', `${base}/projects/p${project}/quota`, 200, {});
  const microservices = Array.from({ length: SERVICES_PER_APP }, (_, index) => ({ ...SERVICE, name: `s${index}` }));
  let next = 0;
  const client = async (): Promise<void> => {
    for (let index = next++; index < PROJECTS * APPS_PER_PROJECT; index = next++) {
      const project = Math.floor(index / APPS_PER_PROJECT);
      await call('POST', `${base}/projects/p${project}/apps`, 201, { name: `a${index % APPS_PER_PROJECT}`, microservices });
    }
  };
  await Promise.all(Array.from({ length: CREATE_CLIENTS }, client));
}

/**
 * Resolves once every service's pod runs, by the server's /metrics; with `idle`, once the
 * controller's queue is empty too (never, while resyncs come faster than it sweeps the services).
 */
async function untilRunning(base: string, { idle = false } = {}, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const metrics = await scrape(base);
    if (metrics.get('wharf_pods{region="local",phase="running"}') === SERVICES && (!idle || metrics.get('wharf_reconcile_queue_depth') === 0)) return;
    if (Date.now() > deadline) throw new Error(`the ${SERVICES} services' pods did not all run${idle ? ' with the controller idle' : ''} within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The server's metrics without labels or with, by series, as Prometheus' text format names them. */
async function scrape(base: string): Promise<Map<string, number>> {
  const text = await (await fetch(new URL('/metrics', base), { headers: AUTH })).text();
  return new Map(
    text.split('\n').filter((line) => line !== '' && !line.startsWith('#')).map((line) => {
      const space = line.lastIndexOf(' ');
      return [line.slice(0, space), Number(line.slice(space + 1))] as const;
    }),
  );
}

async function load(wharf: BenchWharf): Promise<Latency> {
  const reconcilesBefore = (await scrape(wharf.base)).get('wharf_reconcile_duration_seconds_count') ?? 0;
  const cpuBefore = cpuSeconds(wharf.pid);
  const startedAt = performance.now();
  const latencies = await pacedGets(`${wharf.base}/${TARGET}`, startedAt + DURATION_S * 1000);
  const durationS = (performance.now() - startedAt) / 1000;
  const cpuShare = (cpuSeconds(wharf.pid) - cpuBefore) / durationS;
  const reconciles = ((await scrape(wharf.base)).get('wharf_reconcile_duration_seconds_count') ?? 0) - reconcilesBefore;
  latencies.sort((a, b) => a - b);
  const at = (share: number): number => latencies[Math.min(latencies.length - 1, Math.floor(share * latencies.length))]!;
  return { requestsPerSecond: latencies.length / durationS, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: latencies.at(-1)!, reconciles, cpuShare };
}

/**
 * GETs at LOAD_RATE until `untilMs`, each sent when due (never after the answer to the one before)
 * and timed to the microsecond from its sending to the end of its answer.
 */
async function pacedGets(url: string, untilMs: number): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: LOAD_SOCKETS });
  const answers: Array<Promise<number>> = [];
  const intervalMs = 1000 / LOAD_RATE;
  try {
    for (let due = performance.now(); due < untilMs; due += intervalMs) {
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      answers.push(timedGet(url, agent));
    }
    return await Promise.all(answers);
  } finally {
    agent.destroy();
  }
}

/** One GET's time in ms, from its sending to the end of its answer. */
function timedGet(url: string, agent: Agent): Promise<number> {
  const sentAt = performance.now();
  return new Promise((resolve, reject) => {
    const request = get(url, { agent, headers: AUTH }, (response) => {
      response.resume();
      response.once('end', () => (response.statusCode === 200 ? resolve(performance.now() - sentAt) : reject(new Error(`GET ${url}: ${response.statusCode}`))));
    });
    request.once('error', reject);
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(`${formatControllerLoad(await benchControllerLoad())}\n`);
}
