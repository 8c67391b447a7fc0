import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { apiPaths } from '../support/api.js';
import { cli, startCliServer, undocumentedRoutes, type CliResult, type CliServer } from '../support/cli.js';
import { runInTerminal } from '../support/cli-terminal.js';

const paths = apiPaths('local', 'proj');
const ESC = '\x1b';

/** Escape shown as <ESC>, so the control codes read in patterns. */
function visible(text: string): string {
  return text.replaceAll(ESC, '<ESC>');
}

function show(run: CliResult): string {
  return `exit ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
}

function service(name: string, image: string, more: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, type: 'stateless', resourceSpec: '1U1G', containers: [{ name: 'main', image }], ...more };
}

describe('wharf rollout status|history|undo, run as processes against a server (simulated runtime)', () => {
  const files = mkdtempSync(join(tmpdir(), 'wharf-cli-rollout-files-'));
  let server: CliServer;
  const wharf = (...args: string[]): Promise<CliResult> => cli(server, ...args);
  const succeed = async (method: string, path: string, body?: unknown): Promise<void> => {
    const answer = await server.wharf.request(method, path, body);
    assert.ok(answer.status < 300, `${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  };

  before(async () => {
    server = await startCliServer();
    await succeed('POST', paths.apps, { name: 'shop', microservices: [service('web', 'nginx:1.26')] });
  });
  after(async () => {
    await server.stop();
    rmSync(files, { recursive: true, force: true });
  });

  it('history lists the revisions, undo returns to the previous one, status follows it in plain lines into a pipe', async () => {
    await succeed('PUT', paths.action('shop', 'web', 'upgrade'), { containers: [{ name: 'main', image: 'nginx:1.27' }] });
    const history = await wharf('rollout', 'history', 'shop/web');
    assert.equal(history.code, 0, show(history));
    const rows = history.stdout.trimEnd().split('\n').map((line) => line.split(/ {3,}/));
    assert.deepEqual(rows.map((row) => [row[0], row[2], row[3]]), [
      ['REVISION', 'SPEC', 'IMAGES'],
      ['1', '1U1G', 'main=nginx:1.26'],
      ['2 (current)', '1U1G', 'main=nginx:1.27'],
    ]);

    const undo = await wharf('rollout', 'undo', 'shop/web');
    assert.equal(undo.code, 0, show(undo));
    assert.equal(undo.stdout, 'shop/web: rolled back to the template of revision 1, as revision 3\n');

    const status = await wharf('rollout', 'status', 'shop/web');
    assert.equal(status.code, 0, show(status));
    assert.ok(!status.stdout.includes(ESC), `no cursor control into a pipe\n${show(status)}`);
    assert.match(status.stdout, /^shop\/web {2}complete \(revision 3 rolled out\) {2}\[#{12}\] {2}updated 1\/1 {2}ready 1\/1 {2}revision 3$/m, show(status));
    assert.match(status.stdout, /\nshop\/web: revision 3 rolled out\n$/, show(status));
    const service = await server.wharf.request('GET', paths.service('shop', 'web'));
    assert.deepEqual([service.body.revision, service.body.containers[0].image], [3, 'nginx:1.26']);
  });

  it('a rollout that makes no progress exits non-zero with ProgressDeadlineExceeded (apply --wait, then rollout status)', async () => {
    // Its pods wait for a ConfigMap that does not exist: never available, as a crash loop is not.
    const failing = join(files, 'failing.yaml');
    writeFileSync(
      failing,
      'app:\n  name: broken\n  microservices:\n    - name: web\n      type: stateless\n      resourceSpec: 1U1G\n      progressDeadlineSeconds: 10\n' +
        '      containers:\n        - image: reg.qiniu.com/library/alpine:latest\n          envs: [{ type: configMap, name: MISSING, value: absent.key }]\n',
    );
    const apply = await wharf('apply', '-f', failing, '--wait');
    assert.equal(apply.code, 1, show(apply));
    assert.match(apply.stdout, /^broken\/web {2}failed: ProgressDeadlineExceeded/m, show(apply));
    assert.match(
      apply.stderr,
      /^error: broken\/web: rollout ProgressDeadlineExceeded: revision 1 made no progress for 10 s: pod broken-web-\S+ is not available \(container container-0: ConfigMapNotFound\)/m,
      show(apply),
    );

    const status = await wharf('rollout', 'status', 'broken/web');
    assert.equal(status.code, 1, show(status));
    assert.match(status.stderr, /^error: broken\/web: rollout ProgressDeadlineExceeded/m, show(status));
  });

  it('on a terminal the view is redrawn in place, each line cut to the width: the progress line and the newest event under it', async () => {
    // Its pods wait for the ConfigMap `later`: the rollout is under way until the test creates it, once the CLI has drawn it so.
    const slow = service('slow', 'nginx:1.27', { instanceNumber: 2 });
    await succeed('POST', paths.services('shop'), { ...slow, containers: [{ name: 'main', image: 'nginx:1.27', configs: [{ configMapName: 'later', mountPath: '/etc/later' }] }] });
    const progressing = /<ESC>\[2Kshop\/slow {2}progressing {2}\[-{12}\] {2}updated \d\/2 {2}ready 0\/2 {2}revision 1\r\n<ESC>\[2K/;
    let drawn!: () => void;
    const underWay = new Promise<void>((resolve) => (drawn = resolve));
    const running = runInTerminal(['rollout', 'status', 'shop/slow', '--project', 'proj'], server.env, (text) => progressing.test(visible(text)) && drawn());
    await Promise.race([underWay, running.then((early) => assert.fail(`the CLI ended before it drew the rollout under way\n${show(early)}`))]);
    await succeed('POST', paths.configMaps, { name: 'later', data: { mode: 'on' } });
    const terminal = await running;
    assert.equal(terminal.code, 0, show(terminal));

    const draws = visible(terminal.stdout).split('<ESC>[2A');
    assert.ok(draws.length > 1, `the view was drawn again over itself (cursor up 2 lines)\n${JSON.stringify(terminal.stdout)}`);
    assert.match(draws.at(-1)!, /^<ESC>\[2Kshop\/slow {2}complete \(revision 1 rolled out\) {2}\[#{12}\] {2}updated 2\/2 .*\r\n<ESC>\[2K {2}Normal \w+/, JSON.stringify(draws.at(-1)));
    const drawnLines = terminal.stdout.split('\r\n').filter((line) => line.includes(`${ESC}[2K`));
    for (const line of drawnLines) assert.ok(line.slice(line.lastIndexOf(`${ESC}[2K`) + 4).length <= 79, `no line wraps in 80 columns: ${JSON.stringify(line)}`);
  });

  it('calls only routes /openapi.json documents', async () => {
    assert.deepEqual(await undocumentedRoutes(server), []);
  });
});
