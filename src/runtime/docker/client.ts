import Docker from 'dockerode';

/** Where the engine listens: the region's `docker.socket`, else DOCKER_HOST, else the default socket. */
export function engineAddress(socket: string | undefined, env: NodeJS.ProcessEnv): string {
  return socket ?? env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
}

/** A client for `unix://PATH`, a bare socket path, or `tcp://HOST:PORT` (plain HTTP). */
export function connect(address: string): Docker {
  if (address.startsWith('tcp://') || address.startsWith('http://')) {
    const url = new URL(address.replace(/^tcp:/, 'http:'));
    return new Docker({ protocol: 'http', host: url.hostname, port: url.port || 2375 });
  }
  return new Docker({ socketPath: address.replace(/^unix:\/\//, '') });
}

export { isConnectionError, statusOf } from '../engine-errors.js';

/** The engine's own sentence for an error (dockerode prefixes it with the HTTP code). */
export function engineMessage(error: unknown): string {
  const json = (error as { json?: { message?: unknown } } | null)?.json;
  if (typeof json?.message === 'string') return json.message;
  return error instanceof Error ? error.message : String(error);
}

/** Answers whether an engine listens at `address` within `timeoutMs`. */
export async function engineAnswers(address: string, timeoutMs = 2000): Promise<boolean> {
  const docker = connect(address);
  const timeout = new Promise<false>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
  return Promise.race([docker.ping().then(() => true, () => false), timeout]);
}
