import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ControllerMetrics, RolloutOutcome } from './controller/controller-metrics.js';
import type { Region } from './regions.js';

/** What the metrics read at scrape time, rather than being told on every change. */
export interface MetricsSources {
  regions: Map<string, Region>;
  /** Services waiting in the controller's work queue. */
  queueDepth: () => number;
  /** Clients watching service state. */
  watchClients: () => number;
}

/**
 * Wharf's Prometheus metrics, on a registry of its own (not prom-client's global one): several
 * Wharfs in one process, as the tests start them, each count their own.
 */
export class WharfMetrics implements ControllerMetrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly reconcileDuration: Histogram;
  private readonly reconcileRetries: Counter;
  private readonly rollouts: Counter<'outcome'>;
  private readonly engineWatchReconnects: Counter<'region'>;
  private readonly storeTransactions: Histogram;
  private sources: MetricsSources | undefined;

  constructor() {
    const registers = [this.registry];
    // Unprefixed, as every exporter names them (process_cpu_seconds_total, nodejs_heap_size_used_bytes, …).
    collectDefaultMetrics({ register: this.registry });
    this.httpRequests = new Counter({ name: 'wharf_http_requests_total', help: 'HTTP requests answered, by method, route pattern and status', labelNames: ['method', 'route', 'status'], registers });
    this.httpDuration = new Histogram({
      name: 'wharf_http_request_duration_seconds',
      help: 'Time from a request\'s arrival to its answer, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.reconcileDuration = new Histogram({
      name: 'wharf_reconcile_duration_seconds',
      help: 'Time of one reconcile of a service (observe, plan, execute), failed ones included',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30],
      registers,
    });
    this.reconcileRetries = new Counter({ name: 'wharf_reconcile_retries_total', help: 'Reconciles that failed and were queued again with backoff', registers });
    this.rollouts = new Counter({ name: 'wharf_rollouts_total', help: 'Rollouts that ended, by outcome: complete, failed, rolledBack', labelNames: ['outcome'], registers });
    this.engineWatchReconnects = new Counter({
      name: 'wharf_engine_watch_reconnects_total',
      help: 'Times a region\'s engine watch started over: Docker\'s event stream reconnected, a Kubernetes watch relisted',
      labelNames: ['region'],
      registers,
    });
    this.storeTransactions = new Histogram({
      name: 'wharf_store_transaction_duration_seconds',
      help: 'Time of the store\'s write transactions, committed or rolled back',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    // prom-client calls `collect` with the gauge as `this`: the sources are reached through a closure.
    const sources = (): MetricsSources | undefined => this.sources;
    new Gauge({
      name: 'wharf_reconcile_queue_depth',
      help: 'Services waiting in the controller\'s work queue (not those waiting out a backoff)',
      registers,
      collect() {
        this.set(sources()?.queueDepth() ?? 0);
      },
    });
    new Gauge({
      name: 'wharf_pods',
      help: 'Pods the engine has, by region and phase, as the runtime\'s cache has them',
      labelNames: ['region', 'phase'],
      registers,
      collect() {
        this.reset();
        for (const region of sources()?.regions.values() ?? []) {
          for (const key of region.runtime.observedKeys()) {
            for (const pod of region.runtime.observe(key).pods) this.inc({ region: region.name, phase: pod.status.phase });
          }
        }
      },
    });
    new Gauge({
      name: 'wharf_watch_clients',
      help: 'Clients watching service state (?watch=true)',
      registers,
      collect() {
        this.set(sources()?.watchClients() ?? 0);
      },
    });
  }

  /** What the scrape-time gauges read; until set, they read zero. */
  readFrom(sources: MetricsSources): void {
    this.sources = sources;
  }

  reconciled(seconds: number, failed: boolean): void {
    this.reconcileDuration.observe(seconds);
    if (failed) this.reconcileRetries.inc();
  }

  rolloutEnded(outcome: RolloutOutcome): void {
    this.rollouts.inc({ outcome });
  }

  engineWatchRestarted(region: string): void {
    this.engineWatchReconnects.inc({ region });
  }

  storeTransaction(seconds: number): void {
    this.storeTransactions.observe(seconds);
  }
}
