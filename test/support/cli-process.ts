import { spawn } from 'node:child_process';
import { join } from 'node:path';

const REPO_ROOT = join(import.meta.dirname, '..', '..');
const ENTRY = 'test/support/wharf-cli.ts';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `wharf <args>` as its own process, as a user's shell does; `env` is laid over the test's
 * environment. With `terminal`, stdout is a pseudo-terminal: util-linux `script` runs the command
 * (its output, then, is what the terminal got, stderr included, lines ending in \r\n; the terminal
 * is 80 columns wide). `onStdout` sees the output as it comes, to act while the command runs.
 */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  options: { terminal?: boolean; onStdout?: (stdoutSoFar: string) => void } = {},
): Promise<CliRun> {
  const command = [process.execPath, '--import', 'tsx', ENTRY, ...args];
  const [file, argv] = options.terminal
    ? ['script', ['-qfec', command.map(shellWord).join(' '), '/dev/null']]
    : [command[0]!, command.slice(1)];
  const child = spawn(file, argv, { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    options.onStdout?.(stdout);
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function shellWord(word: string): string {
  return /^[\w./:=@%+-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}
