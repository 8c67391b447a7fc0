import type { Command } from 'commander';
import type { Quota } from '../../api/schemas/quota.js';
import type { QuotaLimits } from '../../model/quota.js';
import { connect } from '../context.js';
import { UsageError } from '../errors.js';
import { printRows } from '../output.js';

const RESOURCES = ['services', 'pods', 'containers', 'cpu', 'memory'] as const;

/** `wharf quota get|set|reset`: the project's limits and what it uses. */
export function registerQuota(program: Command): void {
  const quota = program.command('quota').description("the project's quota");
  quota
    .command('get')
    .description('the limits that hold for the project, and its usage')
    .action(async (_options: unknown, command: Command) => {
      const client = connect(command);
      printQuota(command, await client.request<Quota>('GET', `${client.projectPath}/quota`));
    });
  quota
    .command('set')
    .description("set the project's own limits (admin); a resource not named is unlimited")
    .argument('<limits...>', `RESOURCE=N, RESOURCE one of ${RESOURCES.join(', ')} (cpu in cores, memory in MB)`)
    .action(async (assignments: string[], _options: unknown, command: Command) => {
      const client = connect(command);
      printQuota(command, await client.request<Quota>('PUT', `${client.projectPath}/quota`, parseLimits(assignments)));
    });
  quota
    .command('reset')
    .description("drop the project's own limits: the region's default holds again (admin)")
    .action(async (_options: unknown, command: Command) => {
      const client = connect(command);
      await client.request('DELETE', `${client.projectPath}/quota`);
      process.stdout.write(`quota of ${client.project} reset to the region's default\n`);
    });
}

function printQuota(command: Command, quota: Quota): void {
  printRows(
    command,
    RESOURCES.map((resource) => ({ resource, used: quota.usage[resource], limit: quota.limits[resource] })),
    [
      { header: 'RESOURCE', value: (row) => row.resource },
      { header: 'USED', value: (row) => row.used },
      { header: 'LIMIT', value: (row) => row.limit ?? 'unlimited' },
      { header: 'SOURCE', value: () => quota.source },
    ],
    quota,
  );
}

function parseLimits(assignments: string[]): QuotaLimits {
  const limits: QuotaLimits = {};
  for (const assignment of assignments) {
    const match = /^([a-z]+)=([0-9]{1,10})$/.exec(assignment);
    const resource = RESOURCES.find((candidate) => candidate === match?.[1]);
    if (!match || !resource) throw new UsageError(`"${assignment}" is not RESOURCE=N with RESOURCE one of ${RESOURCES.join(', ')}`);
    limits[resource] = Number(match[2]);
  }
  return limits;
}
