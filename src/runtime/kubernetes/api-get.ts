import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

/** An API server's answer that is not 2xx: its status and the Status object's message and details. */
export class ApiAnswerError extends Error {
  constructor(readonly statusCode: number, message: string, readonly details: { group?: string; kind?: string } = {}) {
    super(message);
    this.name = 'ApiAnswerError';
  }
}

/**
 * A GET to the API server with the kubeconfig's credentials, answered as a stream: the log
 * subresource streams text for as long as it follows, which the generated clients buffer whole
 * (and client-node's Log class drops the API server's message of a refusal). Resolves once a 2xx
 * answer's headers came; destroying the stream ends the request. Rejects with ApiAnswerError for
 * any other status, with the Status message the API server sent.
 */
export async function apiGet(config: KubeConfig, path: string, query: Record<string, string | undefined>): Promise<IncomingMessage> {
  const server = config.getCurrentCluster()?.server;
  if (!server) throw new Error('the kubeconfig has no current cluster');
  const url = new URL(server.replace(/\/$/, '') + path);
  for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, value);
  const options: RequestOptions = {};
  await config.applyToHTTPSOptions(options);
  const secure = url.protocol === 'https:';
  // The agent carries the cluster's TLS settings; a plain-HTTP server (a test's, a proxy's) takes none.
  if (!secure) delete options.agent;
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const request = (secure ? httpsRequest : httpRequest)(url, { ...options, method: 'GET' }, resolve);
    request.once('error', reject);
    request.end();
  });
  const status = response.statusCode ?? 0;
  if (status >= 200 && status < 300) return response;
  throw await answerError(response);
}

/** Reads the whole answer: a small JSON document. */
export async function readJson(response: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

async function answerError(response: IncomingMessage): Promise<ApiAnswerError> {
  const status = response.statusCode ?? 0;
  let body: { message?: unknown; details?: { group?: string; kind?: string } } = {};
  try {
    body = (await readJson(response)) as typeof body;
  } catch {
    // Not a Status object (a proxy's page): the HTTP status says enough.
  }
  const message = typeof body?.message === 'string' ? body.message : `the API server answered ${status}`;
  return new ApiAnswerError(status, message, body?.details ?? {});
}
