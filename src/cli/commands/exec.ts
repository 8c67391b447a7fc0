import type { Command } from 'commander';
import type WebSocket from 'ws';
import { CHANNEL, endingOf, frame, V4_PROTOCOL, V5_PROTOCOL, type ExecStatus } from '../../domain/remotecommand.js';
import { connect } from '../context.js';
import { ExitCode } from '../errors.js';
import { parsePodRef, podPath } from '../refs.js';

interface ExecOptions {
  stdin?: boolean;
  tty?: boolean;
  container?: string;
}

/** `wharf exec`: a command in a pod's container over Kubernetes' exec protocol; the process exits with the command's exit code. */
export function registerExec(program: Command): void {
  program
    .command('exec')
    .description("run a command in a pod's container; exits with the command's exit code")
    .argument('<pod>', 'APP/SERVICE/POD (a V2 service\'s pod: /SERVICE/POD)')
    .argument('<command...>', 'the command and its arguments, after -- (no shell unless it names one)')
    .option('-i, --stdin', 'pass standard input to the command')
    .option('-t, --tty', 'a terminal: the local one in raw mode, its size sent as it changes')
    .option('-c, --container <name>', 'the container (needed in a pod of several)')
    .action(async (ref: string, words: string[], options: ExecOptions, command: Command) => {
      const client = connect(command);
      const query = new URLSearchParams();
      for (const word of words) query.append('command', word);
      if (options.container !== undefined) query.set('container', options.container);
      query.set('stdin', String(Boolean(options.stdin)));
      query.set('tty', String(Boolean(options.tty)));
      if (options.tty) query.set('stderr', 'false');
      const socket = await client.webSocket(`${podPath(client, parsePodRef(ref))}/exec?${query}`, [V5_PROTOCOL, V4_PROTOCOL]);
      const exitCode = await session(socket, options);
      // The command's own exit code: `wharf exec … -- test -f x` answers as `test` does.
      if (exitCode !== 0) throw new ExitCode(exitCode);
    });
}

/** Pipes the terminal and the socket both ways until the server closes; resolves with the command's exit code. */
function session(socket: WebSocket, options: ExecOptions): Promise<number> {
  const input = process.stdin;
  const raw = Boolean(options.tty && input.isTTY);
  let status: Partial<ExecStatus> | undefined;
  socket.on('message', (data: Buffer) => {
    const payload = data.subarray(1);
    if (data[0] === CHANNEL.stdout) process.stdout.write(payload);
    else if (data[0] === CHANNEL.stderr) process.stderr.write(payload);
    else if (data[0] === CHANNEL.status) status = JSON.parse(payload.toString('utf8')) as Partial<ExecStatus>;
  });
  socket.resume();

  const sendSize = (): void => {
    if (process.stdout.columns && process.stdout.rows) socket.send(frame(CHANNEL.resize, JSON.stringify({ Width: process.stdout.columns, Height: process.stdout.rows })));
  };
  const sendInput = (chunk: Buffer): void => socket.send(frame(CHANNEL.stdin, chunk));
  // v5 tells the command its stdin ended (it reads EOF); v4 has no such message.
  const closeInput = (): void => {
    if (socket.protocol === V5_PROTOCOL && socket.readyState === socket.OPEN) socket.send(Buffer.from([CHANNEL.close, CHANNEL.stdin]));
  };
  if (options.tty) {
    sendSize();
    process.stdout.on('resize', sendSize);
  }
  if (raw) input.setRawMode(true);
  if (options.stdin) {
    input.on('data', sendInput);
    input.once('end', closeInput);
  }

  return new Promise((resolve) => {
    socket.once('close', () => {
      process.stdout.off('resize', sendSize);
      input.off('data', sendInput);
      input.off('end', closeInput);
      if (raw) input.setRawMode(false);
      // stdin was read from: it would keep the process alive.
      if (options.stdin) input.pause();
      if (!status) {
        process.stderr.write('error: the connection closed before the command ended\n');
        return resolve(1);
      }
      const ending = endingOf(status);
      if ('failure' in ending) {
        process.stderr.write(`error: ${ending.failure}\n`);
        return resolve(1);
      }
      resolve(ending.exitCode);
    });
  });
}
