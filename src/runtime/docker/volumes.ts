import type Docker from 'dockerode';
import { LABEL, volumeName } from './labels.js';

/**
 * A stateful service's named volume, created on first use with Wharf's labels (Docker would
 * create it unlabelled when mounted). Creating an existing volume is a no-op; only a DELETE of the volume
 * through the API removes one (DockerRuntime.deleteVolume).
 */
export async function ensureVolume(docker: Docker, region: string, project: string, volume: string): Promise<string> {
  const name = volumeName(project, volume);
  await docker.createVolume({ Name: name, Labels: { [LABEL.region]: region, [LABEL.project]: project, [LABEL.volume]: volume } });
  return name;
}
