import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiPaths } from '../support/api.js';
import { cli, runCli, startCliServer, undocumentedRoutes, type CliServer } from '../support/cli.js';

const paths = apiPaths('local', 'proj');

describe("wharf's exit codes: 1 with the API's code and message, 2 for a wrong command line", () => {
  let server: CliServer;

  before(async () => {
    server = await startCliServer();
  });
  after(async () => {
    await server?.stop();
  });

  it("exits 1 with the API's code and message when the API refuses, or cannot be reached", async () => {
    const [refused, notFound, unreachable] = await Promise.all([
      runCli(['apps', 'ls', '--project', 'proj'], { ...server.env, WHARF_TOKEN: 'not-a-token-at-all' }),
      cli(server, 'apps', 'get', 'nope'),
      runCli(['apps', 'ls', '--project', 'proj'], { ...server.env, WHARF_URL: 'http://127.0.0.1:9' }),
    ]);
    const expected = await server.wharf.request('GET', paths.apps, undefined, { token: 'not-a-token-at-all' });
    assert.equal(expected.status, 401);
    assert.deepEqual(refused, { code: 1, stdout: '', stderr: `error: ${expected.body.error}: ${expected.body.message}\n` });
    assert.equal(notFound.code, 1);
    assert.equal(notFound.stderr, `error: AppNotFound: ${(await server.wharf.request('GET', paths.app('nope'))).body.message}\n`);
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /^error: Unreachable: cannot reach http:\/\/127\.0\.0\.1:9: /);
  });

  it('exits 2, saying why, for a missing or malformed argument, an unknown option or command', async () => {
    const cases: [string[], RegExp][] = [
      [['apps', 'get'], /missing required argument 'name'/],
      [['scale', 'shop/web', 'many'], /"many" is not a whole number/],
      [['services', 'get', 'shop'], /"shop" is not a service: write APP\/SERVICE \(a V2 service: \/SERVICE\)/],
      [['apps', 'ls', '-o', 'xml'], /argument 'xml' is invalid.*json, yaml, wide/],
      [['nonsense'], /unknown command 'nonsense'/],
      [['logs', 'shop/web', '--since', '5x'], /--since "5x" is not a duration/],
      [['configmaps', 'create', 'empty'], /give the data: --from-literal KEY=VALUE or --from-file \[KEY=\]PATH/],
      [['quota', 'set', 'gpus=1'], /"gpus=1" is not RESOURCE=N/],
    ];
    const results = await Promise.all(cases.map(([args]) => cli(server, ...args)));
    results.forEach((result, index) => {
      const [args, why] = cases[index]!;
      assert.equal(result.code, 2, `wharf ${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, why);
    });
    const noProject = await runCli(['apps', 'ls'], server.env);
    assert.equal(noProject.code, 2, 'a command that needs a project and has none');
    assert.equal(noProject.stderr, 'error: no project: pass --project, or store one with `wharf login <url> --project P`\n');
  });

  it('documents the convention in wharf help', async () => {
    const help = await runCli(['help'], server.env);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /exit codes:\n {2}0 {2}done\n {2}1 {2}the API refused \(its error code and message on stderr\) or could not be reached\n {2}2 {2}usage error/);
    assert.deepEqual(await undocumentedRoutes(server), []);
  });
});
