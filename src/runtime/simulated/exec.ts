import { Readable, Writable } from 'node:stream';
import type { ExecOptions, ExecSession } from '../exec.js';

/**
 * What an exec in a simulated pod exits with: 126, a shell's "found but could not be executed",
 * since no process exists to run it in.
 */
export const SIMULATED_EXEC_EXIT_CODE = 126;

/**
 * An exec into a simulated pod runs nothing and says so: one line naming the command on stderr
 * (stdout with a terminal, which has one stream), then exit code 126. Its stdin is read and dropped.
 */
export function simulatedExec(options: ExecOptions): ExecSession {
  const notice = `simulated runtime: no container runs; ${JSON.stringify(options.command.join(' '))} was not executed\n`;
  const says = (stream: 'stdout' | 'stderr'): Readable | undefined => {
    if (!options[stream]) return undefined;
    const saysIt = options.tty ? stream === 'stdout' : stream === 'stderr';
    return Readable.from(saysIt ? [Buffer.from(notice)] : []);
  };
  return {
    stdin: options.stdin ? new Writable({ write: (_chunk, _encoding, callback) => callback() }) : undefined,
    stdout: says('stdout'),
    stderr: options.tty ? undefined : says('stderr'),
    resize: async () => {},
    ending: Promise.resolve({ exitCode: SIMULATED_EXEC_EXIT_CODE }),
    close: () => {},
  };
}
