import { InvalidArgumentError, type Command } from 'commander';
import type { Revision, Service } from '../../api/schemas/microservice.js';
import { connect } from '../context.js';
import { UsageError } from '../errors.js';
import { age, printRows } from '../output.js';
import { parseServiceRef, refText, servicePath } from '../refs.js';
import { assertRolledOut, followRollouts } from '../rollout-watch.js';

/** `wharf rollout status|history|undo APP/SERVICE`. */
export function registerRollout(program: Command): void {
  const rollout = program.command('rollout').description("a service's rollouts: follow one, list its revisions, roll back");

  rollout
    .command('status')
    .description('follow the rollout until it completes (exit 0) or fails or is rolled back (exit 1, with the reason)')
    .argument('<service>', 'APP/SERVICE (a V2 service: /SERVICE)')
    .action(async (text: string, _options: unknown, command: Command) => {
      const verdicts = await followRollouts(connect(command), [parseServiceRef(text)], process.stdout);
      assertRolledOut(verdicts);
      for (const verdict of verdicts) if (verdict.state === 'complete') process.stdout.write(`${verdict.name}: ${verdict.note}\n`);
    });

  rollout
    .command('history')
    .description('the revisions kept, oldest first; the current one is the newest')
    .argument('<service>', 'APP/SERVICE (a V2 service: /SERVICE)')
    .action(async (text: string, _options: unknown, command: Command) => {
      const client = connect(command);
      const revisions = await client.request<Revision[]>('GET', `${servicePath(client, parseServiceRef(text))}/revisions`);
      const current = Math.max(...revisions.map((revision) => revision.revision));
      printRows(command, revisions, [
        { header: 'REVISION', value: (revision) => `${revision.revision}${revision.revision === current ? ' (current)' : ''}` },
        { header: 'AGE', value: (revision) => age(revision.creationTimestamp) },
        { header: 'SPEC', value: (revision) => revision.resourceSpec + (revision.gpuSpec ? ` + ${revision.gpuSpec.number} ${revision.gpuSpec.type}` : '') },
        { header: 'IMAGES', value: (revision) => revision.containers.map((container) => `${container.name}=${container.image}`).join(',') },
        { header: 'CREATED', value: (revision) => revision.creationTimestamp, wide: true },
      ]);
    });

  rollout
    .command('undo')
    .description('roll back to the previous revision (or --to-revision N): a new revision with its template; nothing changes if it is the current one')
    .argument('<service>', 'APP/SERVICE (a V2 service: /SERVICE)')
    .option('--to-revision <n>', 'the revision whose template to return to (default: the one before the current)', wholeNumber)
    .action(async (text: string, options: { toRevision?: number }, command: Command) => {
      const client = connect(command);
      const ref = parseServiceRef(text);
      const path = servicePath(client, ref);
      const target = options.toRevision ?? previousRevision(await client.request<Revision[]>('GET', `${path}/revisions`), refText(ref));
      const before = await client.request<Service>('GET', path);
      await client.request('PUT', `${path}/revisions/${target}/rollback`);
      const after = await client.request<Service>('GET', path);
      process.stdout.write(
        after.revision === before.revision
          ? `${refText(ref)}: revision ${target} has the current template: nothing changed\n`
          : `${refText(ref)}: rolled back to the template of revision ${target}, as revision ${after.revision}\n`,
      );
    });
}

/** The newest revision kept before the current (newest) one. */
function previousRevision(revisions: Revision[], name: string): number {
  const numbers = revisions.map((revision) => revision.revision).sort((a, b) => b - a);
  if (numbers.length < 2) throw new UsageError(`${name} has no revision before ${numbers[0] ?? 'its current one'} to roll back to`);
  return numbers[1]!;
}

function wholeNumber(text: string): number {
  if (!/^[1-9][0-9]{0,8}$/.test(text)) throw new InvalidArgumentError('a revision number (1, 2, …)');
  return Number(text);
}
