// One tenant's ConfigMap update as another tenant sees it: a project holds 60 ConfigMaps of 1 MB and
// 100 services that mount one of them; a PUT of that ConfigMap rolls their pods while a steady light
// load GETs one service of another project. Prints that GET's latency before the first PUT and from
// each PUT until its rollout is over, over a few rounds.
import { AUTH, call, startBenchWharf, waitUntilRunning } from './wharf-server.js';
import { median } from './stats.js';

const CONFIGMAPS = 60;
const CONFIGMAP_BYTES = 1_000_000;
const APPS = 10;
const SERVICES_PER_APP = 10;
/** One GET every 10 ms, each sent on time whatever happened to the one before: a stall shows as latency, not as fewer samples. */
const INTERVAL_MS = 10;
const BASELINE_MS = 2000;
const ROUNDS = 5;

export interface Latency {
  count: number;
  /** Requests that got no answer (a connect timeout while Wharf's event loop was blocked); their wait counts as their latency. */
  failed: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface ConfigMapUpdateResult {
  before: Latency;
  during: Latency;
  /** Medians over the rounds. */
  putMs: number;
  rolloutMs: number;
}

export async function benchConfigMapUpdate(): Promise<ConfigMapUpdateResult> {
  const wharf = await startBenchWharf();
  try {
    const tenant = `${wharf.base}/projects/tenant`;
    for (let i = 0; i < CONFIGMAPS; i++) await call('POST', `${tenant}/configmaps`, 201, { name: `cm${i}`, data: { blob: blob(i) } });
    for (let a = 0; a < APPS; a++) {
      const microservices = Array.from({ length: SERVICES_PER_APP }, (_, s) => service(`s${s}`, [{ configMapName: 'cm0', mountPath: '/etc/cm' }]));
      await call('POST', `${tenant}/apps`, 201, { name: `a${a}`, microservices });
    }
    await call('POST', `${wharf.base}/projects/quiet/apps`, 201, { name: 'a0', microservices: [service('s0', [])] });
    await waitUntilRunning(wharf.base, 'tenant');
    await waitUntilRunning(wharf.base, 'quiet');

    const probe = startProbe(`${wharf.base}/projects/quiet/apps/a0/microservices/s0`);
    await new Promise((resolve) => setTimeout(resolve, BASELINE_MS));
    const rounds: Array<{ putAt: number; putMs: number; rolledAt: number }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      const putAt = performance.now();
      await call('PUT', `${tenant}/configmaps/cm0`, 200, { data: { blob: blob(CONFIGMAPS + round) } });
      const putMs = performance.now() - putAt;
      await waitUntilRunning(wharf.base, 'tenant');
      rounds.push({ putAt, putMs, rolledAt: performance.now() });
    }
    const samples = await probe.stop();
    return {
      before: latency(samples.filter((sample) => sample.at < rounds[0]!.putAt)),
      during: latency(samples.filter((sample) => rounds.some((r) => sample.at >= r.putAt && sample.at <= r.rolledAt))),
      putMs: median(rounds.map((r) => r.putMs)),
      rolloutMs: median(rounds.map((r) => r.rolledAt - r.putAt)),
    };
  } finally {
    await wharf.stop();
  }
}

export function formatConfigMapUpdate(result: ConfigMapUpdateResult): string {
  const row = (name: string, l: Latency): string =>
    `${name.padEnd(28)} ${String(l.count).padStart(6)} ${String(l.failed).padStart(6)} ${l.p50Ms.toFixed(1).padStart(7)} ${l.p99Ms.toFixed(1).padStart(7)} ${l.maxMs.toFixed(1).padStart(7)}`;
  return [
    `ConfigMap update, simulated runtime: PUT of one of ${CONFIGMAPS} ConfigMaps of 1 MB that ${APPS * SERVICES_PER_APP} services mount`,
    `${ROUNDS} rounds; median PUT answer ${result.putMs.toFixed(0)} ms, pods rolled ${(result.rolloutMs / 1000).toFixed(1)} s after it`,
    `GET a service of another project, one every ${INTERVAL_MS} ms:`,
    `${'window'.padEnd(28)} ${'count'.padStart(6)} ${'failed'.padStart(6)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'max ms'.padStart(7)}`,
    row('before the first PUT', result.before),
    row('from each PUT to rolled out', result.during),
  ].join('\n');
}

function blob(seed: number): string {
  return `${seed}:`.padEnd(CONFIGMAP_BYTES, 'x');
}

function service(name: string, configs: Array<{ configMapName: string; mountPath: string }>) {
  return { name, type: 'stateless', resourceSpec: '1U1G', instanceNumber: 1, containers: [{ name: 'web', image: 'registry.example/web:1', configs }] };
}

interface Sample {
  /** When the request was sent (performance.now()). */
  at: number;
  ms: number;
  failed: boolean;
}

function startProbe(url: string): { stop(): Promise<Sample[]> } {
  const samples: Sample[] = [];
  const inFlight = new Set<Promise<void>>();
  const timer = setInterval(() => {
    const at = performance.now();
    const request = fetch(url, { headers: AUTH })
      .then(async (response) => {
        await response.arrayBuffer();
        return response.status === 200;
      })
      .catch(() => false)
      .then((ok) => {
        samples.push({ at, ms: performance.now() - at, failed: !ok });
        inFlight.delete(request);
      });
    inFlight.add(request);
  }, INTERVAL_MS);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(inFlight);
      return samples;
    },
  };
}

function latency(samples: Sample[]): Latency {
  const sorted = samples.map((sample) => sample.ms).sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { count: sorted.length, failed: samples.filter((sample) => sample.failed).length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: sorted.at(-1) ?? NaN };
}
