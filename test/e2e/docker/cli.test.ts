import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { apiPaths, createApp } from '../../support/api.js';
import { runCli, serveForCli, spawnCli, type CliServer } from '../../support/cli.js';
import { dockerSuiteSkip, eventually, IMAGES, useDockerWharf } from '../../support/docker.js';

const REGION = 'dkr-cli';
const PROJECT = 'cli';
const paths = apiPaths(REGION, PROJECT);
const skip = await dockerSuiteSkip();

describe('Docker runtime: wharf logs and exec, as a process', { skip }, () => {
  const wharf = useDockerWharf(REGION, PROJECT);
  let server: CliServer;
  let pod: string;
  // The Wharf is useDockerWharf's to stop: these hooks only serve it to the CLI.
  before(async () => {
    server = await serveForCli(wharf());
  });
  after(() => {
    if (server) rmSync(server.configHome, { recursive: true, force: true });
  });
  const wharfCli = (args: string[], stdin?: string) => {
    const end = args.includes('--') ? args.indexOf('--') : args.length;
    return runCli([...args.slice(0, end), '--region', REGION, '--project', PROJECT, ...args.slice(end)], server.env, stdin);
  };

  it('starts a service that ticks', async () => {
    await createApp(wharf(), 'shop', [
      {
        name: 'ticker',
        type: 'stateless',
        resourceSpec: '1U1G',
        instanceNumber: 1,
        containers: [{ name: 'main', image: IMAGES.app1, command: ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 1; done'] }],
      },
    ], paths);
    const running = await wharf().waitForService(paths.service('shop', 'ticker'), (service) => service.status.phase === 'running', 60_000);
    pod = running.pods[0].name;
  });

  it("prints a pod's last lines, and follows it", async () => {
    const log = await eventually('two ticks', async () => {
      const result = await wharfCli(['logs', `shop/ticker/${pod}`, '--tail', '2']);
      assert.equal(result.code, 0, result.stderr);
      return /^tick \d+\ntick \d+\n$/.test(result.stdout) ? result.stdout : undefined;
    });
    const last = Number(/tick (\d+)\n$/.exec(log)![1]);
    const follow = spawnCli(['logs', '-f', `shop/ticker/${pod}`, '--tail', '0', '--region', REGION, '--project', PROJECT], server.env);
    try {
      const followed = await follow.waitForStdout(/tick \d+\n/);
      assert.ok(Number(/tick (\d+)/.exec(followed)![1]) > last, `lines written after the follow began: ${followed}`);
    } finally {
      follow.child.kill();
      await follow.exited;
    }
  });

  it("runs a command in the pod: its output on stdout and stderr, its exit code as wharf's", async () => {
    const result = await wharfCli(['exec', `shop/ticker/${pod}`, '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.deepEqual(result, { code: 3, stdout: 'out\n', stderr: 'err\n' });
  });

  it('passes standard input with -i, and ends it (v5) so the command reads EOF', async () => {
    const result = await wharfCli(['exec', '-i', `shop/ticker/${pod}`, '--', 'cat'], 'hello\nworld\n');
    assert.deepEqual(result, { code: 0, stdout: 'hello\nworld\n', stderr: '' });
  });

  it('gives the command a terminal with -t', async () => {
    const result = await wharfCli(['exec', '-t', `shop/ticker/${pod}`, '--', 'sh', '-c', 'test -t 1 && echo terminal']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.replace(/\r/g, ''), 'terminal\n');
  });
});
