// `npm run bench`: prints numbers, asserts nothing (behaviour is the tests' job).
import { engineAddress, engineAnswers } from '../src/runtime/docker/client.js';
import { benchApi, formatApiBench } from './api.js';
import { benchConfigMapUpdate, formatConfigMapUpdate } from './configmap-update.js';
import { benchControllerLoad, formatControllerLoad } from './controller-load.js';
import { benchDocker, formatDockerBench } from './docker.js';
import { benchExec, formatExecBench } from './exec.js';
import { benchLogs, formatLogBench } from './logs.js';
import { benchEvents, formatEvents } from './events.js';
import { benchDatabaseUrl, benchReplicas, formatReplicas } from './replicas.js';
import { benchRollingUpgrade, formatRollingUpgrade, rollingUpgradeSkip } from './rolling-upgrade.js';
import { benchWatch, formatWatchBench } from './watch.js';

process.stdout.write(`\n${formatApiBench(await benchApi())}\n`);

process.stdout.write(`\n${formatControllerLoad(await benchControllerLoad())}\n`);

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
