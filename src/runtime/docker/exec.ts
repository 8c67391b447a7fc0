import type { Duplex, Readable } from 'node:stream';
import type Docker from 'dockerode';
import { WharfError } from '../../domain/errors.js';
import type { ExecEnding } from '../../domain/remotecommand.js';
import type { ExecOptions, ExecSession, TerminalSize } from '../exec.js';
import type { PodRef } from '../logs.js';
import { RuntimeUnavailableError } from '../runtime.js';
import { engineMessage, isConnectionError, statusOf } from './client.js';
import { StreamDemux } from './multiplexed-stream.js';

/** How long to wait for the engine to mark an exec finished once its stream ended (it may lag the stream by a moment). */
const EXIT_POLL = { intervalMs: 50, attempts: 100 };

/**
 * Runs a command in the Docker container `containerName` with the Engine's exec API: create
 * (which streams to attach, a terminal or not), start hijacked (one raw connection carrying stdin
 * one way and the output the other, multiplexed unless there is a terminal), resize, and the exit
 * code from inspecting the exec once its stream ends.
 */
export async function startDockerExec(docker: Docker, containerName: string, target: PodRef, options: ExecOptions, engine: string): Promise<ExecSession> {
  const where = `container "${options.container}" of pod ${target.pod}`;
  try {
    const exec = await docker.getContainer(containerName).exec({
      Cmd: options.command,
      AttachStdin: options.stdin,
      AttachStdout: options.stdout,
      AttachStderr: options.stderr,
      Tty: options.tty,
    });
    const socket = (await exec.start({ hijack: true, stdin: options.stdin, Tty: options.tty })) as Duplex;
    return session(exec, socket, options);
  } catch (error) {
    const status = statusOf(error);
    if (status === 404) throw new WharfError('NotFound', `${where} does not exist on the engine (it is being replaced?)`);
    if (status === 409) throw new WharfError('InvalidArgs', `${where} is not running: ${engineMessage(error)}`, 'container');
    if (isConnectionError(error)) throw new RuntimeUnavailableError(`the Docker engine at ${engine} does not answer: ${engineMessage(error)}`);
    throw error;
  }
}

function session(exec: Docker.Exec, socket: Duplex, options: ExecOptions): ExecSession {
  let leaving = false;
  let lost: Error | undefined;
  let stdout: Readable | undefined = options.tty ? socket : undefined;
  let stderr: Readable | undefined;
  // From now on, not only once a client reads: an engine connection that breaks must not bring Wharf down.
  socket.on('error', (error) => (lost = error));
  if (!options.tty) {
    const demux = new StreamDemux();
    socket.pipe(demux);
    socket.once('error', () => demux.destroy());
    stdout = demux.stdout;
    stderr = demux.stderr;
    // Streams nobody asked for carry nothing, but must flow for the end to show.
    if (!options.stdout) demux.stdout.resume();
    if (!options.stderr) demux.stderr.resume();
  } else if (!options.stdout) socket.resume();

  const ending = new Promise<ExecEnding>((resolve) => {
    socket.once('close', () => {
      if (leaving) resolve({ failure: 'the session was closed before the command ended' });
      else exitOf(exec).then(resolve, (error: unknown) => resolve({ failure: `the engine did not tell how the command ended: ${engineMessage(lost ?? error)}` }));
    });
  });
  return {
    stdin: options.stdin ? socket : undefined,
    stdout: options.stdout ? stdout : undefined,
    stderr: options.stderr && !options.tty ? stderr : undefined,
    resize: async ({ width, height }: TerminalSize) => {
      if (options.tty) await exec.resize({ h: height, w: width });
    },
    ending,
    close: () => {
      leaving = true;
      socket.destroy();
    },
  };
}

async function exitOf(exec: Docker.Exec): Promise<ExecEnding> {
  for (let attempt = 0; attempt < EXIT_POLL.attempts; attempt++) {
    const state = await exec.inspect();
    if (!state.Running && typeof state.ExitCode === 'number') return { exitCode: state.ExitCode };
    await new Promise((resolve) => setTimeout(resolve, EXIT_POLL.intervalMs));
  }
  return { failure: 'the engine still reports the command running after its output ended' };
}
