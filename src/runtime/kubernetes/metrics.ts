import type { KubeConfig } from '@kubernetes/client-node';
import { WharfError } from '../../domain/errors.js';
import type { PodStats } from '../stats.js';
import { ApiAnswerError, apiGet, readJson } from './api-get.js';
import { kubernetesError } from './logs.js';

/** The fields of metrics.k8s.io/v1beta1 PodMetrics Wharf reads. */
interface PodMetrics {
  timestamp?: string;
  window?: string;
  containers?: Array<{ name: string; usage?: { cpu?: string; memory?: string } }>;
}

/**
 * The pod's sample from the metrics API (metrics-server): CPU and working-set memory per container,
 * averaged over its window. No network counters: the API has none. A cluster without the API
 * group is 501: Wharf cannot measure the pod there.
 */
export async function podMetrics(config: KubeConfig, namespace: string, pod: string): Promise<PodStats> {
  let metrics: PodMetrics;
  try {
    metrics = (await readJson(await apiGet(config, `/apis/metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}`, {}))) as PodMetrics;
  } catch (error) {
    if (error instanceof ApiAnswerError && error.statusCode === 404) {
      // The group answered: it has no sample of this pod yet (metrics-server scrapes every 15 s or so).
      if (error.details.group === 'metrics.k8s.io') throw new WharfError('NotFound', `the metrics API has no sample of pod ${pod} yet: ${error.message}`);
      throw new WharfError('NotImplemented', 'the cluster serves no metrics API (metrics.k8s.io): install metrics-server to see pod stats');
    }
    if (error instanceof ApiAnswerError && error.statusCode === 503) {
      throw new WharfError('RuntimeUnavailable', `the cluster's metrics API (metrics-server) does not answer: ${error.message}`);
    }
    throw kubernetesError(error, config, 'pod');
  }
  const window = metrics.window === undefined ? undefined : durationSeconds(metrics.window);
  return {
    pod,
    time: new Date(metrics.timestamp ?? Date.now()).toISOString(),
    ...(window === undefined ? {} : { windowSeconds: window }),
    containers: (metrics.containers ?? []).map((container) => ({
      name: container.name,
      cpu: { usageCores: quantity(container.usage?.cpu ?? '0') },
      memory: { usageBytes: Math.round(quantity(container.usage?.memory ?? '0')) },
    })),
  };
}

const SUFFIXES: Record<string, number> = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** A Kubernetes resource quantity as a number: `250m` 0.25, `12345n` 0.000012345, `64Mi` 67108864, `1e3` 1000. */
export function quantity(text: string): number {
  const match = /^([+-]?[0-9.]+)(?:([eE][+-]?[0-9]+)|(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?)$/.exec(text);
  if (!match) throw new Error(`not a Kubernetes quantity: "${text}"`);
  const value = Number(match[1] + (match[2] ?? ''));
  return Math.round(value * SUFFIXES[match[3] ?? '']! * 1e9) / 1e9;
}

/** A Go duration (`10.5s`, `1m0s`, `250ms`) in seconds. */
export function durationSeconds(text: string): number | undefined {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, µs: 1e-6, ns: 1e-9 };
  const parts = [...text.matchAll(/([0-9.]+)(h|ms|m|s|us|µs|ns)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text) return undefined;
  return parts.reduce((sum, part) => sum + Number(part[1]) * units[part[2]!]!, 0);
}
