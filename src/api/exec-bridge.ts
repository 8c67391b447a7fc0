import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { FastifyBaseLogger } from 'fastify';
import WebSocket from 'ws';
import { CHANNEL, execStatus, frame, parseResize, V5_PROTOCOL } from '../domain/remotecommand.js';
import type { ExecSession } from '../runtime/exec.js';

/**
 * What may wait in the WebSocket's buffer for a client that reads slowly: past `high` the engine's
 * output is paused, and resumed once the buffer is down to `low`, so a command that writes faster
 * than its client reads holds the engine rather than Wharf's memory.
 */
export const EXEC_BUFFER = { high: 1024 * 1024, low: 256 * 1024 };

/**
 * Carries one exec between a client's WebSocket (Kubernetes' channel protocol, domain/remotecommand.ts)
 * and the engine's session, both ways: stdin, resize and (v5) stdin's close in; stdout and stderr out,
 * then the status once the command ended and its output is all sent, then the close. The client
 * leaving closes the engine's session.
 */
export function bridgeExec(socket: WebSocket, session: ExecSession, command: readonly string[], log: FastifyBaseLogger, limits = EXEC_BUFFER): void {
  const outputs: Array<[number, Readable]> = [];
  if (session.stdout) outputs.push([CHANNEL.stdout, session.stdout]);
  if (session.stderr) outputs.push([CHANNEL.stderr, session.stderr]);
  let paused = false;
  const relieve = (): void => {
    if (!paused || socket.bufferedAmount > limits.low) return;
    paused = false;
    for (const [, stream] of outputs) stream.resume();
  };
  for (const [channel, stream] of outputs) {
    stream.on('data', (chunk: Buffer) => {
      if (socket.readyState !== WebSocket.OPEN) return;
      socket.send(frame(channel, chunk), relieve);
      if (!paused && socket.bufferedAmount > limits.high) {
        paused = true;
        for (const [, output] of outputs) output.pause();
      }
    });
  }

  const stdin = session.stdin;
  stdin?.on('error', (error) => {
    log.debug({ err: error }, 'exec: the command\'s stdin failed');
    socket.resume();
  });
  socket.on('message', (data: Buffer) => {
    const payload = data.subarray(1);
    switch (data[0]) {
      case CHANNEL.stdin:
        if (!stdin || stdin.writableEnded) return;
        if (!stdin.write(payload)) {
          // The command reads slower than its client writes: stop reading the client until it caught up.
          socket.pause();
          stdin.once('drain', () => socket.resume());
        }
        return;
      case CHANNEL.resize: {
        const size = parseResize(payload);
        if (size) session.resize(size).catch((error: unknown) => log.debug({ err: error }, 'exec: the engine refused a resize'));
        return;
      }
      case CHANNEL.close:
        if (socket.protocol !== V5_PROTOCOL || payload[0] !== CHANNEL.stdin) return;
        stdin?.end();
        // An ending stdin emits no 'drain': read the client again now, or its close would never be seen.
        socket.resume();
        return;
    }
  });

  const drained = outputs.map(([, stream]) => finished(stream).catch(() => {}));
  void Promise.all([session.ending, ...drained]).then(([ending]) => {
    if (socket.readyState !== WebSocket.OPEN) return;
    socket.send(frame(CHANNEL.status, JSON.stringify(execStatus(command, ending))));
    socket.close(1000);
  });
  socket.on('close', () => session.close());
}
