// `npm run bench`: prints numbers, asserts nothing (behaviour is the tests' job).
import { engineAddress, engineAnswers } from '../src/runtime/docker/client.js';
import { benchApi, type LoadResult } from './api.js';
import { benchConfigMapUpdate, formatConfigMapUpdate } from './configmap-update.js';
import { benchDocker, formatDockerBench } from './docker.js';
import { benchExec, formatExecBench } from './exec.js';
import { benchLogs, formatLogBench } from './logs.js';
import { benchEvents, formatEvents } from './events.js';
import { benchDatabaseUrl, benchReplicas, formatReplicas } from './replicas.js';
import { benchRollingUpgrade, formatRollingUpgrade, rollingUpgradeSkip } from './rolling-upgrade.js';
import { benchWatch, formatWatchBench } from './watch.js';

function table(results: LoadResult[]): string {
  const rows = results.map((result, index) => {
    const floor = index % 2 === 1 ? undefined : results[index + 1];
    const ratio = floor ? `${((100 * result.requestsPerSecond) / floor.requestsPerSecond).toFixed(0)}% of bare` : '';
    return [
      result.name.padEnd(48),
      result.requestsPerSecond.toFixed(0).padStart(8),
      result.p50Ms.toFixed(1).padStart(7),
      result.p99Ms.toFixed(1).padStart(7),
      String(result.bytes).padStart(8),
      `  ${ratio}`,
    ].join(' ');
  });
  return [`${'route'.padEnd(48)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'bytes'.padStart(8)}`, ...rows].join('\n');
}

const api = await benchApi();
process.stdout.write(`\nAPI reads, simulated runtime, ${api.services} services x 3 pods:\n`);
process.stdout.write(`${table(api.results)}\n`);
process.stdout.write(`Wharf RSS after the load: ${api.rssMb.toFixed(0)} MB\n`);

process.stdout.write(`\n${formatWatchBench(await benchWatch())}\n`);

process.stdout.write(`\n${formatConfigMapUpdate(await benchConfigMapUpdate())}\n`);

process.stdout.write(`\n${formatEvents(await benchEvents())}\n`);

process.stdout.write(`\n${formatReplicas(await benchReplicas(benchDatabaseUrl()))}\n`);

const dockerAddress = engineAddress(undefined, process.env);
if (await engineAnswers(dockerAddress)) {
  process.stdout.write(`\n${formatDockerBench(await benchDocker())}\n`);
  process.stdout.write(`\n${formatExecBench(await benchExec())}\n`);
  process.stdout.write(`\n${formatLogBench(await benchLogs())}\n`);
  const skip = await rollingUpgradeSkip();
  process.stdout.write(skip ? `\nRolling upgrade benchmark skipped: ${skip}\n` : `\n${formatRollingUpgrade(await benchRollingUpgrade())}\n`);
} else {
  process.stdout.write(`\nDocker runtime benchmarks skipped (start-up; rolling upgrade, Wharf vs Swarm): no Docker engine answers at ${dockerAddress}\n`);
}
