import type { Command } from 'commander';
import type { App } from '../../api/schemas/app.js';
import type { ConfigMap } from '../../api/schemas/configmap.js';
import type { Service } from '../../api/schemas/microservice.js';
import type { Volume } from '../../api/schemas/volume.js';
import { planApply, type Action, type ApplyPlan, type LiveState } from '../apply-plan.js';
import { WharfClient } from '../client.js';
import { resolveTarget, type GlobalOptions } from '../context.js';
import { CliApiError, UsageError } from '../errors.js';
import { readManifest, type Manifest } from '../manifest.js';
import { renderPlan } from '../plan-view.js';
import { servicePath } from '../refs.js';
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

async function liveState(client: WharfClient, app: string): Promise<LiveState> {
  const [running, configMaps, volumes] = await Promise.all([
    client.request<App>('GET', appPath(client, app)).catch((error: unknown) => {
      if (error instanceof CliApiError && error.code === 'AppNotFound') return undefined;
      throw error;
    }),
    client.request<ConfigMap[]>('GET', `${client.projectPath}/configmaps`),
    client.request<Volume[]>('GET', `${client.projectPath}/volumes`),
  ]);
  return { app: running, configMaps, volumes };
}

function appPath(client: WharfClient, app: string): string {
  return `${client.projectPath}/apps/${encodeURIComponent(app)}`;
}

/** Makes one change; answers what was done. The server's errors name the field in the file (`app.microservices[0].containers[0].image`). */
async function perform(client: WharfClient, app: string, action: Action): Promise<string> {
  const service = servicePath(client, { app, service: action.name });
  try {
    switch (action.kind) {
      case 'createConfigMap':
        await client.request('POST', `${client.projectPath}/configmaps`, action.body);
        return `configmap ${action.name} created`;
      case 'updateConfigMap':
        await client.request('PUT', `${client.projectPath}/configmaps/${encodeURIComponent(action.name)}`, action.body);
        return `configmap ${action.name} updated`;
      case 'createVolume':
        await client.request('POST', `${client.projectPath}/volumes`, action.body);
        return `volume ${action.name} created`;
      case 'createApp':
        await client.request('POST', `${client.projectPath}/apps`, action.body);
        return `app ${action.name} created`;
      case 'createService':
        await client.request('POST', `${appPath(client, app)}/microservices`, action.body);
        return `service ${app}/${action.name} created`;
      case 'upgradeService': {
        const upgraded = await client.request<Service>('PUT', `${service}/upgrade`, action.body);
        return `service ${app}/${action.name} upgraded${action.newRevision === undefined ? ' (rollout settings)' : ` to revision ${upgraded.revision}`}`;
      }
      case 'setPorts':
        await client.request('PUT', `${service}/ports`, action.body);
        return `service ${app}/${action.name} ports set`;
      case 'scaleService':
        await client.request('PUT', `${service}/scale/${action.instances}`);
        return `service ${app}/${action.name} scaled to ${action.instances}`;
    }
  } catch (error) {
    if (!(error instanceof CliApiError)) throw error;
    const key = error.key === undefined ? undefined : `${action.source}.${error.key}`;
    throw new CliApiError(error.status, error.code, `${action.source}: ${error.message}`, key);
  }
}
