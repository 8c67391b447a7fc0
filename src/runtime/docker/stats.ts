import type Docker from 'dockerode';
import type { ContainerStats, NetworkStats, PodStats } from '../stats.js';
import { engineError, podContainers } from './logs.js';
import type { CachedPodEntry } from './pod-cache.js';
import type { PodRef } from '../logs.js';

/** The fields of one sample of Docker's stats API (GET /containers/{id}/stats?stream=false) that Wharf reads. */
export interface DockerStatsSample {
  read: string;
  cpu_stats: CpuStats;
  precpu_stats: CpuStats;
  memory_stats: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes: number; tx_bytes: number; rx_packets: number; tx_packets: number; rx_errors: number; tx_errors: number }>;
}

interface CpuStats {
  cpu_usage: { total_usage: number; percpu_usage?: number[] };
  system_cpu_usage?: number;
  online_cpus?: number;
}

/**
 * One sample of each running container of the pod, and the network counters of its sandbox (the
 * containers share its network namespace, and only it reports them). Docker takes two readings
 * about a second apart for a sample that is not streamed: CPU is the use between them.
 */
export async function podStats(docker: Docker, entries: CachedPodEntry[], ref: PodRef, address: string): Promise<PodStats> {
  const { sandbox, containers } = podContainers(entries, ref);
  const running = [...containers].filter(([, facts]) => facts.state === 'running');
  const sample = async (id: string): Promise<DockerStatsSample> => {
    try {
      return (await docker.getContainer(id).stats({ stream: false })) as unknown as DockerStatsSample;
    } catch (error) {
      throw engineError(error, `a container of pod "${ref.pod}"`, address);
    }
  };
  const [network, ...samples] = await Promise.all([
    sandbox?.state === 'running' ? sample(sandbox.id) : undefined,
    ...running.map(([, facts]) => sample(facts.id)),
  ]);
  const times = samples.map((each) => Date.parse(each!.read)).filter((time) => !Number.isNaN(time));
  return {
    pod: ref.pod,
    time: new Date(times.length > 0 ? Math.max(...times) : Date.now()).toISOString(),
    containers: running.map(([name], index) => containerStats(name, samples[index]!)),
    ...(network?.networks ? { network: networkStats(network) } : {}),
  };
}

/** As `docker stats` computes them: CPU from the two readings' deltas, memory less the inactive page cache. */
export function containerStats(name: string, sample: DockerStatsSample): ContainerStats {
  const { cpu_stats: cpu, precpu_stats: precpu, memory_stats: memory } = sample;
  const used = cpu.cpu_usage.total_usage - precpu.cpu_usage.total_usage;
  // A sample without a previous reading (the engine's first) measures no interval.
  const elapsed = cpu.system_cpu_usage !== undefined && precpu.system_cpu_usage !== undefined ? cpu.system_cpu_usage - precpu.system_cpu_usage : 0;
  const cpus = cpu.online_cpus ?? cpu.cpu_usage.percpu_usage?.length ?? 1;
  const usageCores = used > 0 && elapsed > 0 ? Math.round((used / elapsed) * cpus * 1e6) / 1e6 : 0;
  // cgroup v2 names it inactive_file, v1 total_inactive_file.
  const inactive = memory.stats?.inactive_file ?? memory.stats?.total_inactive_file ?? 0;
  return {
    name,
    cpu: { usageCores },
    memory: { usageBytes: Math.max(0, (memory.usage ?? 0) - inactive), ...(memory.limit ? { limitBytes: memory.limit } : {}) },
  };
}

function networkStats(sample: DockerStatsSample): NetworkStats {
  const total: NetworkStats = { rxBytes: 0, txBytes: 0, rxPackets: 0, txPackets: 0, rxErrors: 0, txErrors: 0 };
  for (const each of Object.values(sample.networks ?? {})) {
    total.rxBytes += each.rx_bytes;
    total.txBytes += each.tx_bytes;
    total.rxPackets += each.rx_packets;
    total.txPackets += each.tx_packets;
    total.rxErrors += each.rx_errors;
    total.txErrors += each.tx_errors;
  }
  return total;
}
