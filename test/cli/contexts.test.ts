import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { TEST_ADMIN_TOKEN } from '../support/api.js';
import { runCli, startCliServer, type CliServer } from '../support/cli.js';

describe('wharf login and contexts: stored for the user alone, never printing a token', () => {
  let server: CliServer;
  /** No WHARF_URL nor WHARF_TOKEN: what the stored context says is what is used. */
  let env: NodeJS.ProcessEnv;
  let configFile: string;

  before(async () => {
    server = await startCliServer();
    env = { XDG_CONFIG_HOME: server.configHome, WHARF_URL: '', WHARF_TOKEN: '' };
    configFile = join(server.configHome, 'wharf', 'config.yaml');
  });
  after(async () => {
    await server?.stop();
  });

  it('refuses a token the server refuses, storing nothing', async () => {
    const refused = await runCli(['login', server.url, '--token', 'not-a-token-at-all'], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^error: Unauthorized: /);
    assert.throws(() => statSync(configFile), /ENOENT/);
  });

  it('stores a context readable by its owner only, and uses it', async () => {
    const login = await runCli(['login', server.url, '--token', TEST_ADMIN_TOKEN, '--project', 'proj', '--context', 'test'], env);
    assert.equal(login.code, 0, login.stderr);
    assert.equal(login.stdout, `context "test" stored in ${configFile} and in use: ${server.url}, region local, project proj\n`);
    assert.equal(statSync(configFile).mode & 0o777, 0o600);
    assert.equal(statSync(join(server.configHome, 'wharf')).mode & 0o777, 0o700);
    assert.deepEqual(parse(readFileSync(configFile, 'utf8')), {
      current: 'test',
      contexts: [{ name: 'test', url: server.url, region: 'local', token: TEST_ADMIN_TOKEN, project: 'proj' }],
    });

    const [apps, table, json] = await Promise.all([runCli(['apps', 'ls', '-o', 'json'], env), runCli(['context', 'ls'], env), runCli(['context', 'ls', '-o', 'json'], env)]);
    assert.equal(apps.code, 0, `the context's server, token and project are used: ${apps.stderr}`);
    assert.deepEqual(JSON.parse(apps.stdout), []);
    assert.equal(table.stdout, `CURRENT   NAME   URL${' '.repeat(server.url.length - 3)}   REGION   PROJECT   TOKEN\n*         test   ${server.url}   local    proj      set\n`);
    assert.ok(!table.stdout.includes(TEST_ADMIN_TOKEN) && !json.stdout.includes(TEST_ADMIN_TOKEN), 'the token is never printed');
    assert.deepEqual(JSON.parse(json.stdout), [{ name: 'test', url: server.url, region: 'local', project: 'proj', current: true, token: 'set' }]);
  });

  it('lets WHARF_URL, WHARF_TOKEN, --region and --project override the context', async () => {
    const [badToken, otherRegion, otherProject] = await Promise.all([
      runCli(['apps', 'ls'], { ...env, WHARF_TOKEN: 'not-a-token-at-all' }),
      runCli(['apps', 'ls', '--region', 'elsewhere'], env),
      runCli(['apps', 'get', 'shop', '--project', 'other'], env),
    ]);
    assert.match(badToken.stderr, /^error: Unauthorized: /);
    assert.match(otherRegion.stderr, /^error: RegionNotFound: region "elsewhere" does not exist/);
    assert.match(otherProject.stderr, /^error: AppNotFound: /);
    assert.match(otherProject.stderr, /other/, 'the project of --project was asked for');
    const unreachable = await runCli(['apps', 'ls'], { ...env, WHARF_URL: 'http://127.0.0.1:9' });
    assert.match(unreachable.stderr, /cannot reach http:\/\/127\.0\.0\.1:9/);
  });

  it('switches between contexts, and refuses one it does not have', async () => {
    const second = await runCli(['login', server.url, '--token', TEST_ADMIN_TOKEN, '--context', 'second'], env);
    assert.equal(second.code, 0, second.stderr);
    assert.match((await runCli(['context', 'ls'], env)).stdout, /\n\s+test\s.*\n\*\s+second\s/);
    assert.equal((await runCli(['context', 'use', 'test'], env)).stdout, 'using context "test"\n');
    assert.equal(parse(readFileSync(configFile, 'utf8')).current, 'test');
    const unknown = await runCli(['context', 'use', 'nope'], env);
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stderr, 'error: no context "nope" (have: test, second)\n');
    assert.equal(statSync(configFile).mode & 0o777, 0o600, 'still 0600 after a rewrite');
  });
});
