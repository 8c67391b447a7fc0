import assert from 'node:assert/strict';
import { get, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { apiPaths, apiV2Paths, assertError, assertInvalid, createApp, createService, eventually, isRunning } from '../support/api.js';
import { createSeedConfigMap, startWharf, statelessService, type TestWharf } from '../support/wharf.js';

const paths = apiPaths();
const WEB = paths.service('shop', 'web');
const DUO = paths.service('shop', 'duo');
const CRASHING_IMAGE = 'example.org/crashes:1';

/** A GET whose answer is text: status, content type and body as sent. */
async function getText(wharf: TestWharf, url: string): Promise<{ status: number; type: string; text: string; json?: any }> {
  const response = await wharf.api.inject({ method: 'GET', url, headers: { 'x-auth-token': wharf.adminToken } });
  const type = String(response.headers['content-type'] ?? '');
  return { status: response.statusCode, type, text: response.body, ...(type.startsWith('application/json') ? { json: JSON.parse(response.body) } : {}) };
}

function answer(response: { status: number; json?: any }): { status: number; body: any } {
  return { status: response.status, body: response.json };
}

describe('logs and stats on the simulated runtime', () => {
  let wharf: TestWharf;
  let pod: string;
  let duoPod: string;

  before(async () => {
    wharf = await startWharf();
    await createSeedConfigMap(wharf);
    await createApp(wharf, 'shop');
    await createService(wharf, 'shop', statelessService('web'));
    wharf.simulated.crashLoop(CRASHING_IMAGE);
    await createService(wharf, 'shop', statelessService('duo', {
      containers: [{ name: 'main', image: 'example.org/main:1' }, { name: 'side', image: CRASHING_IMAGE }],
    }));
    pod = (await wharf.waitForService(WEB, isRunning)).pods[0].name;
    // The crashing container restarts (and so has a previous instance) within a few start delays.
    const duo = await wharf.waitForService(DUO, (service) => service.pods[0]?.containerStatuses[1]?.restartCount > 0);
    duoPod = duo.pods[0].name;
  });
  after(async () => wharf.stop());

  it('a pod\'s log is text/plain, generated lines that say the runtime is simulated', async () => {
    const log = await getText(wharf, `${WEB}/pods/${pod}/logs`);
    assert.equal(log.status, 200, log.text);
    assert.equal(log.type, 'text/plain; charset=utf-8');
    const lines = log.text.split('\n');
    assert.equal(lines.pop(), '', 'every line ends with a newline');
    assert.ok(lines.length >= 2, `the creation and the start: ${log.text}`);
    for (const line of lines) assert.match(line, /^\[simulated\] /);
    assert.match(log.text, /simulated runtime: no container runs/);
    assert.match(log.text, /container container-0 started/);
  });

  it('timestamps, tailLines and sinceTime shape the lines as on Kubernetes', async () => {
    const stamped = await getText(wharf, `${WEB}/pods/${pod}/logs?timestamps=true`);
    for (const line of stamped.text.trimEnd().split('\n')) assert.match(line, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z \[simulated\] /);
    const last = await getText(wharf, `${WEB}/pods/${pod}/logs?tailLines=1`);
    assert.equal(last.text, `${stamped.text.trimEnd().split('\n').at(-1)!.replace(/^\S+ /, '')}\n`);
    assert.equal((await getText(wharf, `${WEB}/pods/${pod}/logs?tailLines=0`)).text, '');
    const future = new Date(Date.now() + 3_600_000).toISOString();
    assert.equal((await getText(wharf, `${WEB}/pods/${pod}/logs?sinceTime=${future}`)).text, '', 'no line was written after the future');
    assert.equal((await getText(wharf, `${WEB}/pods/${pod}/logs?sinceSeconds=3600`)).text, stamped.text.replace(/^\S+ /gm, ''));
  });

  it('a bad query is 400 InvalidArgs naming the field, and reads nothing', async () => {
    const bad: Array<[string, string]> = [
      ['tailLines=-1', 'tailLines'],
      ['tailLines=ten', 'tailLines'],
      ['sinceSeconds=0', 'sinceSeconds'],
      ['sinceSeconds=1.5', 'sinceSeconds'],
      ['sinceTime=yesterday', 'sinceTime'],
      ['sinceTime=2026-01-02', 'sinceTime'],
      [`sinceSeconds=10&sinceTime=${new Date().toISOString()}`, 'sinceTime'],
      ['follow=yes', 'follow'],
      ['previous=1', 'previous'],
      ['timestamps=TRUE', 'timestamps'],
      ['tail=5', 'tail'],
    ];
    for (const [query, field] of bad) {
      const response = answer(await getText(wharf, `${WEB}/pods/${pod}/logs?${query}`));
      assertInvalid(response, field);
      assert.equal(response.body.key, field, query);
    }
  });

  it('an unknown pod is 404 NotFound, an unknown service 404 ServiceNotFound', async () => {
    assertError(answer(await getText(wharf, `${WEB}/pods/web-nothere-12345/logs`)), 404, 'NotFound', 'web-nothere-12345');
    assertError(answer(await getText(wharf, `${WEB}/pods/web-nothere-12345/stats`)), 404, 'NotFound', 'web-nothere-12345');
    assertError(answer(await getText(wharf, `${paths.service('shop', 'ghost')}/pods/${pod}/logs`)), 404, 'ServiceNotFound');
    assertError(answer(await getText(wharf, `${paths.service('shop', 'ghost')}/logs`)), 404, 'ServiceNotFound');
  });

  it('a pod of several containers needs ?container=, which must be one of them (400 naming the choices)', async () => {
    const ambiguous = answer(await getText(wharf, `${DUO}/pods/${duoPod}/logs`));
    assertInvalid(ambiguous, 'main, side');
    assert.equal(ambiguous.body.key, 'container');
    assertInvalid(answer(await getText(wharf, `${DUO}/pods/${duoPod}/logs?container=other`)), 'main, side');
    const main = await getText(wharf, `${DUO}/pods/${duoPod}/logs?container=main`);
    assert.equal(main.status, 200);
    assert.match(main.text, /container main started/);
  });

  it('previous=true: the last exit of a container that crashed; 400 for one that never terminated', async () => {
    const previous = await getText(wharf, `${DUO}/pods/${duoPod}/logs?container=side&previous=true`);
    assert.equal(previous.status, 200, previous.text);
    assert.match(previous.text, /container side exited with code 1 \(Error\)/);
    const never = answer(await getText(wharf, `${DUO}/pods/${duoPod}/logs?container=main&previous=true`));
    assertInvalid(never, 'previous terminated container "main"');
    assert.equal(never.body.key, 'previous');
  });

  it('follow=true on the simulated runtime ends at once: nothing will ever be written', async () => {
    const followed = await getText(wharf, `${WEB}/pods/${pod}/logs?follow=true`);
    assert.equal(followed.status, 200);
    assert.match(followed.text, /\[simulated\]/);
  });

  it('a service\'s logs: every pod\'s containers, each line prefixed [pod/container]', async () => {
    const duo = await getText(wharf, `${DUO}/logs`);
    assert.equal(duo.status, 200, duo.text);
    assert.equal(duo.type, 'text/plain; charset=utf-8');
    const lines = duo.text.trimEnd().split('\n');
    for (const line of lines) assert.match(line, new RegExp(`^\\[${duoPod}/(main|side)\\] \\[simulated\\] `));
    assert.ok(lines.some((line) => line.startsWith(`[${duoPod}/main] `)), duo.text);
    assert.ok(lines.some((line) => line.startsWith(`[${duoPod}/side] `)), duo.text);
    assertInvalid(answer(await getText(wharf, `${DUO}/logs?container=other`)), 'main, side');
    const onlySide = await getText(wharf, `${DUO}/logs?container=side&tailLines=1`);
    assert.equal(onlySide.text.trimEnd().split('\n').length, 1, onlySide.text);
    assert.match(onlySide.text, new RegExp(`^\\[${duoPod}/side\\] `));
    // The crashing container has a previous instance, main none: previous shows side's alone.
    const previous = await getText(wharf, `${DUO}/logs?previous=true`);
    assert.match(previous.text, new RegExp(`^\\[${duoPod}/side\\] .*exited with code 1`, 'm'));
    assert.doesNotMatch(previous.text, /\/main\]/);
  });

  it('a followed service log picks up pods that appear (a scale-up) until the client goes', async () => {
    await wharf.api.listen({ port: 0, host: '127.0.0.1' });
    const { port } = wharf.api.server.address() as AddressInfo;
    const request = get(`http://127.0.0.1:${port}${WEB}/logs?follow=true`, { headers: { 'x-auth-token': wharf.adminToken } });
    const response = await new Promise<IncomingMessage>((resolve, reject) => request.once('response', resolve).once('error', reject));
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], 'text/plain; charset=utf-8');
    let text = '';
    const readUntil = (pattern: RegExp): Promise<void> =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (!pattern.test(text)) return;
          response.off('data', onData);
          resolve();
        };
        const onData = (chunk: Buffer): void => {
          text += chunk.toString();
          check();
        };
        response.on('data', onData);
        response.once('end', () => reject(new Error(`the follow ended early: ${text}`)));
        check();
      });
    await readUntil(new RegExp(`^\\[${pod}/container-0\\] `, 'm'));
    assert.equal((await wharf.request('PUT', paths.action('shop', 'web', 'scale/2'))).status, 204);
    const scaled = await wharf.waitForService(WEB, (service) => isRunning(service) && service.pods.length === 2);
    const added = scaled.pods.map((each: any) => each.name).find((name: string) => name !== pod);
    await readUntil(new RegExp(`^\\[${added}/container-0\\] .*started`, 'm'));
    request.destroy();
    // The server lets the connection go once the client went: nothing holds it open.
    await eventually(() => new Promise<number>((resolve) => wharf.api.server.getConnections((_error, count) => resolve(count))), (count) => count === 0);
  });

  it('stats: every running container at 0, marked simulated', async () => {
    const stats = await wharf.request('GET', `${WEB}/pods/${pod}/stats`);
    assert.equal(stats.status, 200, JSON.stringify(stats.body));
    assert.equal(stats.body.pod, pod);
    assert.equal(stats.body.simulated, true);
    assert.ok(Math.abs(Date.parse(stats.body.time) - Date.now()) < 60_000, `a time of now: ${stats.body.time}`);
    assert.deepEqual(stats.body.containers, [{ name: 'container-0', cpu: { usageCores: 0 }, memory: { usageBytes: 0 } }]);
  });

  it('the V2 API serves the same routes under the project', async () => {
    const v2 = apiV2Paths();
    const created = await wharf.request('POST', v2.services, statelessService('api'));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const service = await wharf.waitForService(v2.service('api'), isRunning);
    const name = service.pods[0].name;
    const log = await getText(wharf, `${v2.service('api')}/pods/${name}/logs`);
    assert.equal(log.status, 200);
    assert.match(log.text, /\[simulated\]/);
    assert.match((await getText(wharf, `${v2.service('api')}/logs`)).text, new RegExp(`^\\[${name}/container-0\\] `));
    assert.equal((await wharf.request('GET', `${v2.service('api')}/pods/${name}/stats`)).body.simulated, true);
  });

  it('a token of another project gets the same 403 whether the pod exists or not', async () => {
    const other = await wharf.request('POST', '/v1/tokens', { name: 'other team', projects: ['other'] });
    assert.equal(other.status, 201, JSON.stringify(other.body));
    const asOther = async (url: string) => {
      const response = await wharf.api.inject({ method: 'GET', url, headers: { 'x-auth-token': other.body.token } });
      return { status: response.statusCode, body: response.json() };
    };
    for (const suffix of ['logs', 'stats']) {
      const existing = await asOther(`${WEB}/pods/${pod}/${suffix}`);
      const missing = await asOther(`${WEB}/pods/web-nothere-12345/${suffix}`);
      assertError(existing, 403, 'OperationForbbiden');
      assert.deepEqual(missing, existing);
    }
    assertError(await asOther(`${WEB}/logs`), 403, 'OperationForbbiden');
  });

  it('the OpenAPI document lists the routes with their query and text answer', async () => {
    const document = (await wharf.request('GET', '/openapi.json')).body;
    const podLogs = document.paths['/regions/{region}/v1/projects/{project}/apps/{app}/microservices/{service}/pods/{pod}/logs'].get;
    assert.deepEqual(podLogs.tags, ['logs']);
    const names = podLogs.parameters.filter((parameter: any) => parameter.in === 'query').map((parameter: any) => parameter.name).sort();
    assert.deepEqual(names, ['container', 'follow', 'previous', 'sinceSeconds', 'sinceTime', 'tailLines', 'timestamps']);
    assert.ok(podLogs.responses['200'].content['text/plain'], 'the log is documented as text/plain');
    for (const path of ['/regions/{region}/v2/projects/{project}/microservices/{service}/logs', '/regions/{region}/v2/projects/{project}/microservices/{service}/pods/{pod}/stats']) {
      assert.ok(document.paths[path]?.get?.summary, `${path} is documented`);
    }
  });
});
