/**
 * Kubernetes' exec protocol over a WebSocket (k8s.io/apimachinery's remotecommand, channel
 * subprotocols v4 and v5): every binary message is one channel byte, then that channel's bytes.
 * Wharf serves it to its clients and speaks it, as a client, to a Kubernetes API server.
 */

export const V5_PROTOCOL = 'v5.channel.k8s.io';
export const V4_PROTOCOL = 'v4.channel.k8s.io';
/** Best first: v5 adds the client's "stdin closed" message. Older versions carry the status as text, which Wharf does not speak. */
export const EXEC_PROTOCOLS = [V5_PROTOCOL, V4_PROTOCOL] as const;

export const CHANNEL = {
  stdin: 0,
  stdout: 1,
  stderr: 2,
  /** Server to client, once: how the command ended, a metav1.Status as JSON; the server closes after it. */
  status: 3,
  /** Client to server: `{"Width":w,"Height":h}`. */
  resize: 4,
  /** v5, client to server: `[255, channel]`, the client closed that stream (0: stdin). */
  close: 255,
} as const;

/** Kubernetes' token in a subprotocol, for browsers, which cannot set headers on a WebSocket. */
export const BEARER_PROTOCOL_PREFIX = 'base64url.bearer.authorization.k8s.io.';

/** The subprotocol a server picks from those a client offers: the best it speaks, or none. */
export function chooseProtocol(offered: Iterable<string>): string | undefined {
  const set = new Set(offered);
  return EXEC_PROTOCOLS.find((protocol) => set.has(protocol));
}

/** The token carried in a `base64url.bearer.authorization.k8s.io.<token>` subprotocol, if one is offered. */
export function tokenOfProtocols(offered: Iterable<string>): string | undefined {
  for (const protocol of offered) {
    if (!protocol.startsWith(BEARER_PROTOCOL_PREFIX)) continue;
    const token = Buffer.from(protocol.slice(BEARER_PROTOCOL_PREFIX.length), 'base64url').toString('utf8');
    if (token !== '') return token;
  }
  return undefined;
}

/** The subprotocols a `Sec-WebSocket-Protocol` header offers. */
export function offeredProtocols(header: string | undefined): string[] {
  return (header ?? '').split(',').map((protocol) => protocol.trim()).filter((protocol) => protocol !== '');
}

/** One message: the channel byte, then the data. */
export function frame(channel: number, data: Uint8Array | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  const message = Buffer.allocUnsafe(body.length + 1);
  message[0] = channel;
  message.set(body, 1);
  return message;
}

/** metav1.Status as the API server writes it on the status channel. */
export interface ExecStatus {
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { causes: Array<{ reason: string; message: string }> };
}

export const NON_ZERO_EXIT_CODE = 'NonZeroExitCode';

/** How a command ended: its exit code, or why it could not run (no such program, the engine went away) in the engine's words. */
export type ExecEnding = { exitCode: number } | { failure: string };

/** The status of a command that exited with `exitCode`, or could not run (`failure`), in the kubelet's words. */
export function execStatus(command: readonly string[], ending: ExecEnding): ExecStatus {
  if ('failure' in ending) return { metadata: {}, status: 'Failure', message: ending.failure, reason: 'InternalError' };
  if (ending.exitCode === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command ${JSON.stringify(command)}, exit code ${ending.exitCode}`,
    reason: NON_ZERO_EXIT_CODE,
    details: { causes: [{ reason: 'ExitCode', message: String(ending.exitCode) }] },
  };
}

/** How a command ended, from the status an API server sent: the exit code, or its message. */
export function endingOf(status: Partial<ExecStatus>): ExecEnding {
  if (status.status === 'Success') return { exitCode: 0 };
  const code = status.details?.causes?.find((cause) => cause.reason === 'ExitCode')?.message;
  if (status.reason === NON_ZERO_EXIT_CODE && code !== undefined && /^\d+$/.test(code)) return { exitCode: Number(code) };
  return { failure: status.message ?? 'the command failed and the server did not say why' };
}

const MAX_TERMINAL_SIDE = 0xffff;

/**
 * A resize message's size. Go's JSON decoding ignores the case of field names, so `width` is
 * `Width` (client-node sends lower case); undefined for a message that is not a size.
 */
export function parseResize(data: Buffer): { width: number; height: number } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const fields = new Map(Object.entries(parsed).map(([name, value]) => [name.toLowerCase(), value]));
  const side = (value: unknown): number | undefined =>
    typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= MAX_TERMINAL_SIDE ? value : undefined;
  const width = side(fields.get('width'));
  const height = side(fields.get('height'));
  return width === undefined || height === undefined ? undefined : { width, height };
}
