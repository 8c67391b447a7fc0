import type { Command } from 'commander';
import { connect } from '../context.js';
import { UsageError } from '../errors.js';
import { writeOut } from '../output.js';
import { parseServiceOrPodRef, podPath, servicePath } from '../refs.js';

interface LogOptions {
  follow?: boolean;
  tail?: number;
  since?: number;
  container?: string;
  timestamps?: boolean;
  previous?: boolean;
}

/** `wharf logs`: what a pod's containers, or every pod of a service, printed. */
export function registerLogs(program: Command): void {
  program
    .command('logs')
    .description("a pod's log, or every pod of a service (each line then prefixed [pod/container])")
    .argument('<target>', 'APP/SERVICE or APP/SERVICE/POD (a V2 service: /SERVICE, /SERVICE/POD)')
    .option('-f, --follow', 'keep printing new lines (a service: also of pods that start meanwhile) until Ctrl-C')
    .option('--tail <lines>', 'only the last this many lines of each container', whole('--tail'))
    .option('--since <duration>', 'only lines of the last 30s, 5m, 2h, 1h30m…', duration)
    .option('-c, --container <name>', 'the container (needed in a pod of several)')
    .option('--timestamps', 'start each line with the time it was written')
    .option('-p, --previous', "the container's previous instance (the one before it last restarted)")
    .action(async (target: string, options: LogOptions, command: Command) => {
      const client = connect(command);
      const ref = parseServiceOrPodRef(target);
      const path = 'pod' in ref ? `${podPath(client, ref)}/logs` : `${servicePath(client, ref)}/logs`;
      const query = new URLSearchParams();
      if (options.container !== undefined) query.set('container', options.container);
      if (options.tail !== undefined) query.set('tailLines', String(options.tail));
      if (options.since !== undefined) query.set('sinceSeconds', String(options.since));
      for (const flag of ['follow', 'timestamps', 'previous'] as const) if (options[flag]) query.set(flag, 'true');
      const text = query.size === 0 ? path : `${path}?${query}`;
      for await (const chunk of client.text(text)) await writeOut(chunk);
    });
}

function whole(option: string): (text: string) => number {
  return (text) => {
    if (!/^[0-9]{1,9}$/.test(text)) throw new UsageError(`${option} "${text}" is not a whole number`);
    return Number(text);
  };
}

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `30s`, `5m`, `1h30m`, `2d` in seconds (above 0, as the API wants it). */
export function duration(text: string): number {
  if (!/^([0-9]{1,6}[smhd])+$/.test(text)) throw new UsageError(`--since "${text}" is not a duration such as 30s, 5m, 1h30m`);
  const seconds = [...text.matchAll(/([0-9]+)([smhd])/g)].reduce((sum, [, amount, unit]) => sum + Number(amount) * UNIT_SECONDS[unit!]!, 0);
  if (seconds === 0) throw new UsageError(`--since "${text}" must be longer than 0s`);
  return seconds;
}
