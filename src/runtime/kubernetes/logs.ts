import type { Readable } from 'node:stream';
import type { KubeConfig } from '@kubernetes/client-node';
import { invalidArgs, WharfError } from '../../domain/errors.js';
import { isConnectionError } from '../engine-errors.js';
import type { LogOptions } from '../logs.js';
import { RuntimeUnavailableError } from '../runtime.js';
import { ApiAnswerError, apiGet } from './api-get.js';

/**
 * A container's log from `pods/log`, with Kubernetes' own parameters; the API server (the kubelet
 * behind it) applies them. The API server's refusals keep its words: 400 (no previous instance,
 * a container still waiting) as InvalidArgs, 404 as NotFound.
 */
export async function podLog(config: KubeConfig, namespace: string, pod: string, options: LogOptions): Promise<Readable> {
  try {
    return await apiGet(config, `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log`, {
      container: options.container,
      follow: String(options.follow),
      previous: String(options.previous),
      timestamps: String(options.timestamps),
      tailLines: options.tailLines?.toString(),
      sinceSeconds: options.sinceSeconds?.toString(),
      sinceTime: options.sinceTime,
    });
  } catch (error) {
    throw kubernetesError(error, config, options.previous ? 'previous' : 'container');
  }
}

/** An API server's error as the API's; `key` names the field a 400 is about. */
export function kubernetesError(error: unknown, config: KubeConfig, key: string): unknown {
  if (error instanceof ApiAnswerError) {
    if (error.statusCode === 400) return invalidArgs(error.message, key);
    if (error.statusCode === 404) return new WharfError('NotFound', error.message);
    return error;
  }
  if (isConnectionError(error)) {
    return new RuntimeUnavailableError(`the Kubernetes API server ${config.getCurrentCluster()?.server ?? ''} did not answer: ${(error as Error).message}`);
  }
  return error;
}
