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

/** The HTTP status of an engine error (404 no such object, 409 conflict, …), if it is one. */
export function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOENT', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNABORTED']);

/** True when the engine did not answer at all, as opposed to answering with an error. */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CONNECTION_ERRORS.has(code);
}

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
