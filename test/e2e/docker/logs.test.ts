import assert from 'node:assert/strict';
import { get, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { apiPaths, createApp } from '../../support/api.js';
import { dockerSuiteSkip, eventually, IMAGES, useDockerWharf } from '../../support/docker.js';
import type { TestWharf } from '../../support/wharf.js';

const REGION = 'dkr-logs';
const PROJECT = 'logs';
const paths = apiPaths(REGION, PROJECT);
const skip = await dockerSuiteSkip();

const MISSING = paths.service('shop', 'missing');
const ONCE = paths.service('shop', 'once');
const TICKER = paths.service('shop', 'ticker');

const service = (name: string, command: string[], args: string[] = [], instanceNumber = 1) => ({
  name,
  type: 'stateless',
  resourceSpec: '1U1G',
  instanceNumber,
  containers: [{ name: 'main', image: IMAGES.app1, command, args }],
});

/** GET as text with the admin token. */
async function getText(wharf: TestWharf, url: string): Promise<{ status: number; text: string }> {
  const response = await wharf.api.inject({ method: 'GET', url, headers: { 'x-auth-token': wharf.adminToken } });
  return { status: response.statusCode, text: response.body };
}

describe('Docker runtime: logs and stats', { skip }, () => {
  const wharf = useDockerWharf(REGION, PROJECT);

  /** The first pod of a service once `ready` holds for it. */
  const podOf = (path: string, ready: (pod: any) => boolean): Promise<any> =>
    eventually(`a pod of ${path}`, async () => {
      const pods = (await wharf().request('GET', path)).body?.pods ?? [];
      return pods.find(ready);
    }, 60_000);

  it('creates the services', async () => {
    await createApp(wharf(), 'shop', [
      // The seed's motivating case: an image without the binary. Docker's init says why, in the log only.
      service('missing', ['/usr/bin/nginx']),
      // Fails once (its writable layer survives the restart), then runs.
      service('once', ['sh', '-c', 'if [ -e /tmp/ran ]; then echo "second run"; exec sleep 3600; else : > /tmp/ran; echo "first run failing" >&2; exit 3; fi']),
      service('ticker', ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 1; done'], [], 2),
    ], paths);
  });

  it('the log of a container that cannot start shows why (stderr included)', async () => {
    const pod = await podOf(MISSING, (each) => each.containerStatuses[0].restartCount > 0 || each.containerStatuses[0].lastState);
    const log = await eventually('the error in the log', async () => {
      const answer = await getText(wharf(), `${MISSING}/pods/${pod.name}/logs`);
      assert.equal(answer.status, 200, answer.text);
      return answer.text.includes('exec /usr/bin/nginx failed: No such file or directory') ? answer.text : undefined;
    });
    assert.match(log, /exec \/usr\/bin\/nginx failed: No such file or directory/);
  });

  it('previous=true is the crashed instance; the current one is only the running instance', async () => {
    const pod = await podOf(ONCE, (each) => each.containerStatuses[0].restartCount >= 1 && each.containerStatuses[0].state === 'running');
    const url = `${ONCE}/pods/${pod.name}/logs`;
    let last: unknown;
    const current = await eventually('the second run\'s line', async () => {
      const answer = await getText(wharf(), url);
      last = [answer, (await wharf().request('GET', ONCE)).body.pods];
      return answer.text.includes('second run') ? answer.text : undefined;
    }).catch((error: Error) => assert.fail(`${error.message}; last: ${JSON.stringify(last)}`));
    assert.doesNotMatch(current, /first run failing/, 'the current instance only');
    const previous = await getText(wharf(), `${url}?previous=true`);
    assert.equal(previous.status, 200, previous.text);
    assert.equal(previous.text, 'first run failing\n');
    assert.equal((await getText(wharf(), `${url}?previous=true&tailLines=1`)).text, 'first run failing\n', 'the tail of the previous instance, not of the whole log');
    const stamped = await getText(wharf(), `${url}?previous=true&timestamps=true`);
    assert.match(stamped.text, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d+Z first run failing\n$/);
  });

  it('previous=true of a container that never terminated is 400, as kubectl says', async () => {
    const pod = await podOf(TICKER, (each) => each.containerStatuses[0].state === 'running');
    const answer = await wharf().request('GET', `${TICKER}/pods/${pod.name}/logs?previous=true`);
    assert.equal(answer.status, 400, JSON.stringify(answer.body));
    assert.match(answer.body.message, /previous terminated container "main" not found/);
  });

  it('follow delivers lines written after the request began, until the client goes', async () => {
    const pod = await podOf(TICKER, (each) => each.containerStatuses[0].state === 'running');
    const url = `${TICKER}/pods/${pod.name}/logs`;
    const before = await eventually('a tick', async () => {
      const ticks = [...(await getText(wharf(), url)).text.matchAll(/^tick (\d+)$/gm)].map((match) => Number(match[1]));
      return ticks.length > 0 ? Math.max(...ticks) : undefined;
    });
    await wharf().api.listen({ port: 0, host: '127.0.0.1' });
    const { port } = wharf().api.server.address() as AddressInfo;
    const request = get(`http://127.0.0.1:${port}${url}?follow=true&tailLines=0`, { headers: { 'x-auth-token': wharf().adminToken } });
    const response = await new Promise<IncomingMessage>((resolve, reject) => request.once('response', resolve).once('error', reject));
    assert.equal(response.statusCode, 200);
    let text = '';
    await new Promise<void>((resolve, reject) => {
      response.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (/^tick \d+\n/m.test(text)) resolve();
      });
      response.once('end', () => reject(new Error(`the follow ended: ${text}`)));
    });
    const first = Number(/^tick (\d+)$/m.exec(text)![1]);
    assert.ok(first > before, `tick ${first} was written after the request (the last before it: ${before})`);
    request.destroy();
    await eventually('the server to let the connection go', () => new Promise<true | undefined>((resolve) => wharf().api.server.getConnections((_error, count) => resolve(count === 0 ? true : undefined))));
  });

  it('a service\'s logs prefix every line with [pod/container]', async () => {
    const service = await eventually('two ticking pods', async () => {
      const body = (await wharf().request('GET', TICKER)).body;
      return body.pods.filter((pod: any) => pod.containerStatuses[0].state === 'running').length === 2 ? body : undefined;
    });
    const names = service.pods.map((pod: any) => pod.name).sort();
    // Each pod's last two lines, once each has ticked twice (a pod just started may have one).
    const answer = await eventually('two ticks of each pod', async () => {
      const log = await getText(wharf(), `${TICKER}/logs?tailLines=2`);
      return names.every((name: string) => log.text.split(`[${name}/main] tick`).length > 2) ? log : undefined;
    });
    const lines = answer.text.trimEnd().split('\n');
    assert.equal(lines.length, 4, `${JSON.stringify(names)}: ${answer.text}`);
    for (const line of lines) assert.match(line, /^\[[a-z0-9-]+\/main\] tick \d+$/);
    assert.deepEqual([...new Set(lines.map((line) => /^\[([^/]+)\//.exec(line)![1]))], names, `pod by pod, in name order: ${answer.text}`);
  });

  it('stats: nonzero memory within the resource spec\'s limit, CPU, and the pod\'s network', async () => {
    const pod = await podOf(TICKER, (each) => each.containerStatuses[0].state === 'running');
    const stats = await wharf().request('GET', `${TICKER}/pods/${pod.name}/stats`);
    assert.equal(stats.status, 200, JSON.stringify(stats.body));
    assert.equal(stats.body.pod, pod.name);
    assert.equal(stats.body.simulated, undefined, 'a real engine\'s numbers');
    const [main] = stats.body.containers;
    assert.equal(main.name, 'main');
    assert.ok(main.memory.usageBytes > 0, `memory in use: ${JSON.stringify(main)}`);
    assert.equal(main.memory.limitBytes, 1024 * 1024 * 1024, '1U1G: 1 GiB');
    assert.ok(main.cpu.usageCores >= 0 && main.cpu.usageCores <= 1, `within 1 core: ${JSON.stringify(main.cpu)}`);
    assert.equal(typeof stats.body.network?.rxBytes, 'number', JSON.stringify(stats.body));
  });
});
