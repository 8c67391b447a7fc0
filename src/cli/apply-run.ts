import type { App } from '../api/schemas/app.js';
import type { ConfigMap } from '../api/schemas/configmap.js';
import type { Service } from '../api/schemas/microservice.js';
import type { Volume } from '../api/schemas/volume.js';
import type { Action, LiveState } from './apply-plan.js';
import { CliApiError } from './errors.js';
import type { WharfClient } from './client.js';
import { servicePath } from './refs.js';

/** What runs of an app and its project, read as apply compares it: the app (undefined if there is none), the ConfigMaps and volumes. */
export async function liveState(client: WharfClient, app: string): Promise<LiveState> {
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
export async function perform(client: WharfClient, app: string, action: Action): Promise<string> {
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
