import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { before, describe, it } from 'node:test';
import { V5_PROTOCOL } from '../../../src/domain/remotecommand.js';
import { apiPaths, assertError } from '../../support/api.js';
import { docker, dockerSuiteSkip, eventually, IMAGES, useDockerWharf } from '../../support/docker.js';
import { ExecClient, execQuery } from '../../support/exec-client.js';

const REGION = 'dkr-exec';
const PROJECT = 'exec';
const paths = apiPaths(REGION, PROJECT);
const skip = await dockerSuiteSkip();

const sleeper = { name: 'main', image: IMAGES.app1, command: ['sleep'], args: ['infinity'] };
// Exits at once: the runtime restarts it after a back-off, during which it is not running.
const crasher = { name: 'main', image: IMAGES.app1, command: ['sh'], args: ['-c', 'exit 1'] };

describe('Docker runtime: exec', { skip }, () => {
  const wharf = useDockerWharf(REGION, PROJECT);
  let base: string;
  let pod: string;

  const open = (query: string, service = 'web', podName = pod) =>
    ExecClient.open(`${base}${paths.service('shop', service)}/pods/${podName}/exec?${query}`, { token: wharf().adminToken });

  before(async () => {
    await wharf().api.listen({ port: 0, host: '127.0.0.1' });
    base = `ws://127.0.0.1:${(wharf().api.server.address() as AddressInfo).port}`;
    const created = await wharf().request('POST', paths.apps, {
      name: 'shop',
      microservices: [
        { name: 'web', type: 'stateless', resourceSpec: '1U1G', instanceNumber: 1, containers: [sleeper] },
        { name: 'crash', type: 'stateless', resourceSpec: '1U1G', instanceNumber: 1, containers: [crasher] },
      ],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const web = await wharf().waitForService(paths.service('shop', 'web'), (s) => s.status.phase === 'running' && s.pods.length === 1, 60_000);
    pod = web.pods[0].name;
  });

  it('echo hello: "hello\\n" on stdout, then Success', async () => {
    const client = await open(execQuery(['echo', 'hello']));
    assert.equal(client.protocol, V5_PROTOCOL);
    assert.deepEqual(await client.status, { metadata: {}, status: 'Success' });
    assert.equal(client.stdout, 'hello\n');
    assert.equal(client.stderr, '');
  });

  it('stderr comes on its own channel', async () => {
    const client = await open(execQuery(['sh', '-c', 'echo out; echo oops >&2']));
    assert.equal((await client.status).status, 'Success');
    assert.equal(client.stdout, 'out\n');
    assert.equal(client.stderr, 'oops\n');
  });

  it('an interactive sh reads stdin: echo $((6*7)) gives 42, exit 3 ends it with NonZeroExitCode 3', async () => {
    const client = await open(execQuery(['sh'], { stdin: true }));
    client.sendStdin('echo $((6*7))\n');
    await client.waitForStdout(/^42\n$/);
    client.sendStdin('exit 3\n');
    const status = await client.status;
    assert.equal(status.status, 'Failure');
    assert.equal(status.reason, 'NonZeroExitCode');
    assert.deepEqual(status.details, { causes: [{ reason: 'ExitCode', message: '3' }] });
    assert.match(status.message, /^command terminated with non-zero exit code: .*exit code 3$/);
    assert.equal(client.stdout, '42\n');
  });

  it('v5\'s stdin close reaches the command: cat copies its input and exits 0 at EOF', async () => {
    const client = await open(execQuery(['cat'], { stdin: true }));
    client.sendStdin('line one\n');
    client.sendStdin('line two\n');
    client.closeStdin();
    assert.equal((await client.status).status, 'Success');
    assert.equal(client.stdout, 'line one\nline two\n');
  });

  it('with a terminal: one output stream, and a resize changes the size stty reports', async () => {
    const client = await open(execQuery(['sh'], { stdin: true, tty: true }));
    client.resize(123, 45);
    // The resize is its own engine call: ask again until the shell sees it.
    await eventually('stty to report the new size', async () => {
      client.sendStdin('busybox stty size\n');
      return /45 123\r?\n/.test(client.stdout) ? true : undefined;
    });
    client.resize(80, 24);
    await eventually('stty to report the second size', async () => {
      client.sendStdin('busybox stty size\n');
      return /24 80\r?\n/.test(client.stdout) ? true : undefined;
    });
    client.sendStdin('exit\n');
    assert.equal((await client.status).status, 'Success');
    assert.ok(!client.channels.includes(2), 'no stderr channel with a terminal');
  });

  it('a program that does not exist fails with the engine\'s words', async () => {
    const client = await open(execQuery(['no-such-program']));
    const status = await client.status;
    assert.equal(status.status, 'Failure');
    assert.match(client.stdout, /executable file not found/);
    assert.equal(status.reason, 'NonZeroExitCode');
    assert.deepEqual(status.details, { causes: [{ reason: 'ExitCode', message: '126' }] });
  });

  it('a client that leaves closes the command\'s stdin: a shell reading it ends', async () => {
    const client = await open(execQuery(['sh', '-s', 'marker1001'], { stdin: true }));
    const running = async (): Promise<boolean> => {
      const ps = await open(execQuery(['ps']));
      await ps.status;
      return ps.stdout.includes('marker1001');
    };
    await eventually('the shell to run', async () => ((await running()) ? true : undefined));
    client.close();
    await eventually('the shell to end once its client left', async () => ((await running()) ? undefined : true));
  });

  it('the engine\'s own refusal of a container that is not running is a 400 too (the cache may lag)', async () => {
    // Paused, the container refuses an exec (409) for as long as the test needs: a crash-looping one
    // may be running again by the time the engine is asked.
    const [container] = await docker.listContainers({ filters: { label: [`io.wharf.pod=${pod}`, 'io.wharf.role=container'] } });
    assert.ok(container, `a container of pod ${pod}`);
    await docker.getContainer(container.Id).pause();
    try {
      const key = { region: REGION, project: PROJECT, app: 'shop', service: 'web' };
      const options = { container: 'main', command: ['true'], stdin: false, stdout: true, stderr: true, tty: false };
      await assert.rejects(wharf().regions.get(REGION)!.runtime.exec({ key, pod }, options), (error: any) => {
        assert.equal(error.code, 'InvalidArgs');
        assert.match(error.message, /container "main" of pod .* is not running: .*paused/);
        return true;
      });
    } finally {
      await docker.getContainer(container.Id).unpause();
    }
  });

  it('a container that is not running is refused before the upgrade (400 naming its state)', async () => {
    const crashing = await wharf().waitForService(
      paths.service('shop', 'crash'),
      (s) => s.pods.length === 1 && s.pods[0].containerStatuses[0].state !== 'running' && s.pods[0].containerStatuses[0].restartCount > 0,
      60_000,
    );
    const answer = await ExecClient.refusal(`${base}${paths.service('shop', 'crash')}/pods/${crashing.pods[0].name}/exec?${execQuery(['true'])}`, { token: wharf().adminToken });
    assertError(answer, 400, 'InvalidArgs', 'is not running');
    assert.equal(answer.body.key, 'container');
  });
});
