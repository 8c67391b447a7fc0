import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Value } from 'typebox/value';
import { stringify } from 'yaml';
import { AppName, NAME_PATTERNS, ProjectName } from '../model/names.js';
import { ServiceCreate } from '../model/service.js';
import { loadConfig } from '../config.js';
import { withPodTemplateHash } from '../domain/configmaps.js';
import { podResources } from '../domain/resources.js';
import { createService } from '../domain/service.js';
import { NO_POD_INPUTS } from '../domain/pod-inputs.js';
import { workloadOf } from '../domain/workload-plan.js';
import { regionPolicy } from '../regions.js';
import { manifestList, render } from '../runtime/kubernetes/render.js';
import { kubernetesSettings } from '../runtime/kubernetes/settings.js';
import { UsageError } from './errors.js';

export const RENDER_USAGE = `usage: wharf render --project P --app A -f SERVICE.json [--config FILE] [--region NAME]

Prints the Kubernetes manifests Wharf applies for a new service (the body of a create request,
"-" for standard input) as multi-document YAML. Offline: no cluster is contacted. Namespace
prefix, storage class, volume size, image pull secrets and container security come from the
region's config; the project's ResourceQuota is not printed (its quota is in Wharf's store).`;

/** `wharf render`: the manifests of a service as YAML, for review and GitOps. */
export function renderCommand(args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const { values } = parseArgs({
    args,
    options: {
      project: { type: 'string' },
      app: { type: 'string' },
      file: { type: 'string', short: 'f' },
      config: { type: 'string', short: 'c' },
      region: { type: 'string' },
    },
  });
  const { project, app, file } = values;
  if (!project || !app || !file) throw new UsageError(RENDER_USAGE);
  if (!Value.Check(ProjectName, project)) throw new UsageError(`--project "${project}" must match ${NAME_PATTERNS.dnsLabel} (1..30 characters)`);
  if (!Value.Check(AppName, app)) throw new UsageError(`--app "${app}" must match ${NAME_PATTERNS.app} (1..30 characters)`);

  const config = loadConfig(env, values.config ?? env.WHARF_CONFIG);
  const region = values.region === undefined ? config.regions[0] : config.regions.find((candidate) => candidate.name === values.region);
  if (!region) throw new Error(`the config has no region "${values.region}"`);

  const input = readServiceFile(file);
  const policy = regionPolicy(region, 'kubernetes');
  const now = new Date().toISOString();
  const key = { region: region.name, project, app, service: input.name };
  const { state } = createService(key, input, policy, { uid: randomUUID(), now });
  // Offline there is no store: ConfigMaps are taken as absent (which changes only the pods' hash), volumes get the region's defaults.
  const manifests = render(workloadOf(withPodTemplateHash(state, new Map()), podResources(policy, state), NO_POD_INPUTS), kubernetesSettings(region));
  return manifestList(manifests).map((object) => stringify(object, { aliasDuplicateObjects: false })).join('---\n');
}

function readServiceFile(file: string): ServiceCreate {
  let body: unknown;
  try {
    body = JSON.parse(readFileSync(file === '-' ? 0 : file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
  const firstError = [...Value.Errors(ServiceCreate, body)][0];
  if (firstError) throw new Error(`${file}: ${firstError.instancePath || '/'} ${firstError.message}`);
  return body as ServiceCreate;
}
