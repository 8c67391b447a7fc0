import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { apiPaths } from '../support/api.js';
import { cli, runCli, startCliServer, undocumentedRoutes, type CliResult, type CliServer } from '../support/cli.js';
import { freePort } from '../support/server-process.js';

const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples');
const paths = apiPaths('local', 'proj');

function show(run: CliResult): string {
  return `exit ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
}

describe('wharf apply and diff, run as processes against a server (simulated runtime)', () => {
  const files = mkdtempSync(join(tmpdir(), 'wharf-cli-files-'));
  let server: CliServer;
  const wharf = (...args: string[]): Promise<CliResult> => cli(server, ...args);
  const file = (name: string, text: string): string => {
    const path = join(files, name);
    writeFileSync(path, text);
    return path;
  };
  const revisions = async (app: string): Promise<number[]> => {
    const answer = await server.wharf.request('GET', paths.revisions(app, 'service0'));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body.map((revision: { revision: number }) => revision.revision);
  };
  const stateless = join(EXAMPLES, 'stateless.yaml');
  const stateful = join(EXAMPLES, 'stateful.yaml');
  // The stateless example one release on: another image and args, the ConfigMap changed, three instances, one port fewer.
  const upgraded = (): string =>
    file(
      'upgraded.yaml',
      readFileSync(stateless, 'utf8')
        .replace('alpine:latest', 'alpine:3.20')
        .replace('args: [-c, echo test]', 'args: [-c, echo upgraded]')
        .replace('instanceNumber: 1', 'instanceNumber: 3')
        .replace('        - { port: 8080, protocol: UDP }\n', ''),
    );

  before(async () => {
    server = await startCliServer();
  });
  after(async () => {
    await server.stop();
    rmSync(files, { recursive: true, force: true });
  });

  it("diff of the seed's examples before anything runs: what apply would create, exit 1", async () => {
    const run = await wharf('diff', '-f', stateful);
    assert.equal(run.code, 1, show(run));
    assert.deepEqual(run.stdout.trimEnd().split('\n'), [
      '+ configmap cm (1 key(s))',
      '+ volume ceph-name (10 GiB)',
      '+ app app1',
      '+ service app1/service0 (stateful, 1 × 1U1G, reg.qiniu.com/library/alpine:latest)',
    ]);
  });

  it("apply of the seed's two examples, twice: the second run changes nothing and opens no revision", async () => {
    for (const example of [stateless, stateful]) {
      const run = await wharf('apply', '-f', example, '--wait');
      assert.equal(run.code, 0, show(run));
      assert.match(run.stdout, /^service app\d\/service0 created$/m, show(run));
      assert.match(run.stdout, /^app\d\/service0 {2}complete \(revision 1 rolled out\)/m, show(run));
    }
    for (const example of [stateless, stateful]) {
      const again = await wharf('apply', '-f', example, '--wait');
      assert.equal(again.code, 0, show(again));
      assert.match(again.stdout, /^app\d: nothing to change$/m, show(again));
      assert.doesNotMatch(again.stdout, /^[+~]/m, show(again));
    }
    const diff = await wharf('diff', '-f', stateful);
    assert.deepEqual([diff.code, diff.stdout], [0, ''], show(diff));
    assert.deepEqual([await revisions('app0'), await revisions('app1')], [[1], [1]]);
    const configMap = await server.wharf.request('GET', paths.configMap('cm'));
    assert.equal(configMap.body.version, 1, 'the ConfigMap both files declare was never rewritten');
  });

  it('apply --dry-run prints the diff and changes nothing', async () => {
    const run = await wharf('apply', '-f', upgraded(), '--dry-run');
    assert.equal(run.code, 0, show(run));
    assert.match(run.stdout, /^~ service app0\/service0: upgrade to revision 2$/m, show(run));
    assert.match(run.stdout, /^dry run: nothing was changed$/m, show(run));
    assert.deepEqual(await revisions('app0'), [1]);
  });

  it('diff names which fields of which container change (exit 1); a bad file or no server exits 2', async () => {
    const changed = await wharf('diff', '-f', upgraded());
    assert.equal(changed.code, 1, show(changed));
    for (const line of [
      '~ service app0/service0: upgrade to revision 2',
      '    containers[container-0].image: "reg.qiniu.com/library/alpine:latest" → "reg.qiniu.com/library/alpine:3.20"',
      '    containers[container-0].args:',
      '      - - echo test',
      '      + - echo upgraded',
      '~ service app0/service0: ports',
      '~ service app0/service0: scale to 3',
      '    instanceNumber: 1 → 3',
    ]) {
      assert.ok(changed.stdout.split('\n').includes(line), `missing line ${JSON.stringify(line)}\n${show(changed)}`);
    }

    const bad = file('bad.yaml', 'app:\n  name: app0\n  microservices:\n    - name: service0\n      type: stateless\n      resourceSpec: 1U1G\n      containers:\n        - imgae: nginx\n');
    const invalid = await wharf('diff', '-f', bad);
    assert.equal(invalid.code, 2, show(invalid));
    assert.match(invalid.stderr, /bad\.yaml:8: app\.microservices\[0\]\.containers\[0\]\.image is required \(did you mean "imgae"\?\)/, show(invalid));

    const nowhere = await runCli(['diff', '-f', stateless, '--project', 'proj'], { ...server.env, WHARF_URL: `http://127.0.0.1:${await freePort()}` });
    assert.equal(nowhere.code, 2, show(nowhere));
    assert.match(nowhere.stderr, /Unreachable: cannot reach/, show(nowhere));
  });

  it('calls only routes /openapi.json documents', async () => {
    assert.deepEqual(await undocumentedRoutes(server), []);
  });
});
