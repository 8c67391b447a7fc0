import type { Command } from 'commander';
import { planApply, type ApplyPlan } from '../apply-plan.js';
import { liveState, perform } from '../apply-run.js';
import { WharfClient } from '../client.js';
import { resolveTarget, type GlobalOptions } from '../context.js';
import { CliApiError, UsageError } from '../errors.js';
import { readManifest, type Manifest } from '../manifest.js';
import { renderPlan } from '../plan-view.js';
import { assertRolledOut, followRollouts } from '../rollout-watch.js';

const FILE_HELP = 'the manifest: an app with its services, ConfigMaps and volumes in the API\'s create bodies (see examples/); "-" reads standard input';

/** `wharf diff -f FILE` and `wharf apply -f FILE [--dry-run] [--wait]`. */
export function registerApply(program: Command): void {
  program
    .command('diff')
    .description('show what apply -f would change: exit 0 nothing, 1 differences, 2 an error (as kubectl diff)')
    .requiredOption('-f, --filename <file>', FILE_HELP)
    .action(async (options: { filename: string }, command: Command) => {
      let plan: ApplyPlan;
      try {
        const manifest = readManifest(options.filename);
        plan = planApply(manifest, await liveState(clientFor(command, manifest), manifest.app.name));
        process.stdout.write(renderPlan(plan, manifest.app.name));
      } catch (error) {
        throw new DiffFailed(error);
      }
      const count = plan.actions.length + plan.conflicts.length;
      if (count > 0) throw new Error(`${count} difference(s) from what runs${plan.conflicts.length > 0 ? `, ${plan.conflicts.length} of them no apply can make` : ''}`);
    });

  program
    .command('apply')
    .description('make what runs match the file: prints the diff, then creates or changes only what differs (the same file twice changes nothing)')
    .requiredOption('-f, --filename <file>', FILE_HELP)
    .option('--dry-run', 'print the diff only: change nothing')
    .option('--wait', "then follow every service of the file until its rollout completes (non-zero exit if one fails or is rolled back)")
    .action(async (options: { filename: string; dryRun?: boolean; wait?: boolean }, command: Command) => {
      const manifest = readManifest(options.filename);
      const client = clientFor(command, manifest);
      const app = manifest.app.name;
      const plan = planApply(manifest, await liveState(client, app));
      process.stdout.write(renderPlan(plan, app));
      if (plan.conflicts.length > 0) throw new Error(`${options.filename} cannot be applied (the lines marked ! above): nothing was changed`);
      if (plan.actions.length === 0) process.stdout.write(`${app}: nothing to change\n`);
      else if (options.dryRun) process.stdout.write('dry run: nothing was changed\n');
      else for (const action of plan.actions) process.stdout.write(`${await perform(client, app, action)}\n`);
      if (options.wait && !options.dryRun) {
        const services = (manifest.app.microservices ?? []).map((service) => ({ app, service: service.name }));
        assertRolledOut(await followRollouts(client, services, process.stdout));
      }
    });
}

/** diff's errors exit 2 (a usage error's code), for 1 means "differences", as kubectl diff has it. */
class DiffFailed extends UsageError {
  constructor(cause: unknown) {
    super(cause instanceof CliApiError ? `${cause.code}: ${cause.message}` : cause instanceof Error ? cause.message : String(cause));
  }
}

/** The client, in the file's project unless --project says another (then the file is wrong for it: refused). */
function clientFor(command: Command, manifest: Manifest): WharfClient {
  const options = command.optsWithGlobals<GlobalOptions>();
  if (manifest.project !== undefined && options.project !== undefined && options.project !== manifest.project) {
    throw new UsageError(`--project ${options.project} differs from the file's project ${manifest.project}`);
  }
  return new WharfClient(resolveTarget({ ...options, project: options.project ?? manifest.project }));
}
