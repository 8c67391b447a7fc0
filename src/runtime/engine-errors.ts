/**
 * What every driver asks of an engine's error: the HTTP status it answered with, or whether it
 * did not answer at all. One list of codes, so every runtime calls the same failures an outage.
 */

/** The status of an error the engine answered with: dockerode's `statusCode`, client-node's numeric `code`. */
export function statusOf(error: unknown): number | undefined {
  const { statusCode, code } = (error ?? {}) as { statusCode?: unknown; code?: unknown };
  if (typeof statusCode === 'number') return statusCode;
  return typeof code === 'number' ? code : undefined;
}

const NO_ANSWER = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ENOENT', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** True when the engine did not answer at all (no socket, refused, reset, unresolvable), as opposed to answering with an error. */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && NO_ANSWER.has(code);
}
