import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { CliResult } from './cli.js';

const REPO_ROOT = join(import.meta.dirname, '..', '..');

/**
 * Runs `wharf <args>` with a terminal for its stdout: util-linux `script` gives it a pseudo-terminal
 * of 80 columns (what `script` prints is what the terminal got, stderr included, lines ending in
 * \r\n). The CLI runs from source through tsx (test/support/wharf-cli.ts). `onStdout` sees the
 * output as it comes, to act while the command runs.
 */
export function runInTerminal(args: string[], env: NodeJS.ProcessEnv, onStdout: (stdoutSoFar: string) => void = () => {}): Promise<CliResult> {
  const command = [process.execPath, '--import', 'tsx', 'test/support/wharf-cli.ts', ...args].map(shellWord).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    onStdout(stdout);
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
