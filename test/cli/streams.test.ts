import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SIMULATED_EXEC_EXIT_CODE } from '../../src/runtime/simulated/exec.js';
import { apiPaths } from '../support/api.js';
import { cli, cliOk, CLI_PROJECT, SERVICE, spawnCli, startCliServer, undocumentedRoutes, type CliServer } from '../support/cli.js';

const paths = apiPaths('local', 'proj');

describe('wharf events, logs, stats, exec: as a process against a server', () => {
  let server: CliServer;
  let pods: string[];
  const ok = (...args: string[]): Promise<string> => cliOk(server, ...args);

  before(async () => {
    server = await startCliServer();
    const created = await server.wharf.request('POST', paths.apps, { name: 'shop', microservices: [SERVICE] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const running = await server.wharf.waitForService(paths.service('shop', 'web'), (service) => service.status.phase === 'running');
    pods = running.pods.map((pod: any) => pod.name);
  });
  after(async () => {
    await server?.stop();
  });

  it("lists a service's events and the project's", async () => {
    const [table, json] = await Promise.all([ok('events', 'shop/web'), ok('events', '-o', 'json')]);
    assert.match(table, /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE\n\d+s\s+Normal\s+Created\s+shop\/web\s+created stateless microservice shop\/web/);
    assert.deepEqual(JSON.parse(json), (await server.wharf.request('GET', '/regions/local/v1/projects/proj/events')).body, "without SERVICE: the project's events");
  });

  it("prints a pod's log, and a service's with each line's pod and container", async () => {
    const [podLog, serviceLog] = await Promise.all([ok('logs', `shop/web/${pods[0]}`), ok('logs', 'shop/web', '--tail', '1', '--since', '1h')]);
    assert.match(podLog, /^\[simulated\] pod \S+ runs on Wharf's simulated runtime/);
    const lines = serviceLog.trim().split('\n');
    assert.deepEqual(lines.map((line) => /^\[([^/]+)\/main\] \[simulated\]/.exec(line)?.[1]).sort(), [...pods].sort(), `one line of each pod: ${serviceLog}`);
  });

  it("prints a pod's stats, and runs a command in it", async () => {
    const [json, table, exec, missing] = await Promise.all([
      ok('stats', `shop/web/${pods[0]}`, '-o', 'json'),
      ok('stats', `shop/web/${pods[0]}`),
      cli(server, 'exec', `shop/web/${pods[0]}`, '--', 'echo', 'hi'),
      cli(server, 'exec', 'shop/web/nopod', '--', 'echo', 'hi'),
    ]);
    assert.equal(JSON.parse(json).pod, pods[0]);
    assert.equal(JSON.parse(json).simulated, true);
    assert.match(table, /^CONTAINER\s+CPU\(cores\)\s+MEMORY\(MiB\)\s+LIMIT\(MiB\)\nmain\s+0\.000\s+0\.0\s/);
    // The simulated runtime runs nothing and says so, ending with 126 (cannot execute): wharf ends with that code.
    assert.equal(exec.code, SIMULATED_EXEC_EXIT_CODE, exec.stderr);
    assert.match(exec.stderr, /simulated runtime: no container runs; "echo hi" was not executed/);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'error: NotFound: pod "nopod" of service shop/web does not exist\n');
  });

  it('watches events as they are recorded (-w), one JSON object a line with -o json', async () => {
    const watch = spawnCli(['events', '-w', 'shop/web', '-o', 'json', '--project', CLI_PROJECT], server.env);
    try {
      await watch.waitForStdout(/"reason":"Created"/);
      assert.equal((await server.wharf.request('PUT', paths.action('shop', 'web', 'scale/3'))).status, 204);
      const stdout = await watch.waitForStdout(/"reason":"Scaled"/);
      const events = stdout.trim().split('\n').map((line) => JSON.parse(line));
      assert.deepEqual(events.map((event) => event.id), [...events.map((event) => event.id)].sort((a, b) => a - b), 'in the order they happened');
    } finally {
      watch.child.kill();
      await watch.exited;
    }
  });

  it("follows a service's log (-f), taking up a pod that starts meanwhile", async () => {
    const follow = spawnCli(['logs', '-f', 'shop/web', '--project', CLI_PROJECT], server.env);
    try {
      await follow.waitForStdout(new RegExp(`\\[${pods[0]}/main\\]`));
      assert.equal((await server.wharf.request('PUT', paths.action('shop', 'web', 'scale/4'))).status, 204);
      const scaled = await server.wharf.waitForService(paths.service('shop', 'web'), (service) => service.pods.length === 4);
      const added = scaled.pods.map((pod: any) => pod.name).filter((name: string) => !pods.includes(name));
      assert.equal(added.length, 2, 'two pods more');
      for (const name of added) await follow.waitForStdout(new RegExp(`\\[${name}/main\\]`));
      assert.equal(follow.child.exitCode, null, 'it goes on until stopped');
    } finally {
      follow.child.kill();
      await follow.exited;
    }
  });

  it('called only routes that /openapi.json documents', async () => {
    assert.deepEqual(await undocumentedRoutes(server), []);
  });
});
