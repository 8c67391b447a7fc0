import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { runCli } from '../support/cli.js';

/** What bash completes after `words` (the last one being typed), with the script sourced. */
function bashCompletes(script: string, words: string[]): string[] {
  const array = words.map((word) => `'${word}'`).join(' ');
  const run = spawnSync('bash', ['-c', `${script}\nCOMP_WORDS=(${array}); COMP_CWORD=${words.length - 1}; _wharf; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout.split('\n').filter((line) => line !== '');
}

describe('wharf completion: scripts generated from the command tree', () => {
  it('completes commands, subcommands and options in bash', async () => {
    const bash = await runCli(['completion', 'bash'], {});
    assert.equal(bash.code, 0, bash.stderr);
    assert.deepEqual(bashCompletes(bash.stdout, ['wharf', 'con']), ['context', 'configmaps']);
    assert.deepEqual(bashCompletes(bash.stdout, ['wharf', 'apps', '']), ['ls', 'get', 'create', 'delete', '--context', '--region', '--project', '--output', '-o', '--help']);
    assert.deepEqual(bashCompletes(bash.stdout, ['wharf', '--project', 'p', 'logs', 'shop/web', '--t']), ['--tail', '--timestamps'], 'options and arguments before are skipped');
  });

  it('prints zsh (through bashcompinit) and fish scripts', async () => {
    const [zsh, fish, other] = await Promise.all([runCli(['completion', 'zsh'], {}), runCli(['completion', 'fish'], {}), runCli(['completion', 'tcsh'], {})]);
    assert.match(zsh.stdout, /^# wharf completion for zsh.*\nautoload -U \+X compinit && compinit\nautoload -U \+X bashcompinit && bashcompinit\n_wharf\(\) \{/);
    assert.match(fish.stdout, /\ncomplete -c wharf -n '__fish_use_subcommand' -a apps -d 'the apps of the project'\n/);
    assert.match(fish.stdout, /\ncomplete -c wharf -n '__fish_seen_subcommand_from logs' -l follow -s f -d /);
    assert.equal(other.code, 2, 'a shell it does not know is a usage error');
  });
});
