import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
// Not exported from the package's index (only its Exec class, which builds Kubernetes' own paths).
import { WebSocketHandler } from '@kubernetes/client-node/dist/web-socket-handler.js';
import { V4_PROTOCOL, V5_PROTOCOL } from '../../src/domain/remotecommand.js';
import { SIMULATED_EXEC_EXIT_CODE } from '../../src/runtime/simulated/exec.js';
import { apiPaths, apiV2Paths, assertError, createApp, eventually, isRunning } from '../support/api.js';
import { ExecClient, execQuery } from '../support/exec-client.js';
import { startWharf, type TestWharf } from '../support/wharf.js';

const paths = apiPaths('local', 'tenant');
const v2 = apiV2Paths('local', 'tenant');
const container = (name: string) => ({ name, image: 'busybox:1', command: ['sleep'], args: ['3600'] });

describe('exec (simulated runtime)', () => {
  let wharf: TestWharf;
  let base: string;
  let pod: string;
  let twoContainerPod: string;
  let v2Pod: string;
  let otherToken: string;
  let ownToken: { token: string; id: string };
  /** The Exec events of service web, as its events route lists them. */
  const execEvents = async (): Promise<any[]> => {
    const answer = await wharf.request('GET', `${paths.service('shop', 'web')}/events`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body.filter((event: any) => event.reason === 'Exec');
  };

  const execUrl = (service: string, podName: string, query: string, scope = paths.service('shop', service)) => `${base}${scope}/pods/${podName}/exec?${query}`;

  before(async () => {
    wharf = await startWharf();
    await wharf.api.listen({ port: 0, host: '127.0.0.1' });
    base = `ws://127.0.0.1:${(wharf.api.server.address() as AddressInfo).port}`;
    await createApp(wharf, 'shop', [
      { name: 'web', type: 'stateless', resourceSpec: '1U1G', instanceNumber: 1, containers: [container('main')] },
      { name: 'duo', type: 'stateless', resourceSpec: '1U1G', instanceNumber: 1, containers: [container('main'), container('side')] },
    ], paths);
    assert.equal((await wharf.request('POST', v2.services, { name: 'solo', type: 'stateless', resourceSpec: '1U1G', instanceNumber: 1, containers: [container('main')] })).status, 201);
    pod = (await wharf.waitForService(paths.service('shop', 'web'), isRunning)).pods[0].name;
    twoContainerPod = (await wharf.waitForService(paths.service('shop', 'duo'), isRunning)).pods[0].name;
    v2Pod = (await wharf.waitForService(v2.service('solo'), isRunning)).pods[0].name;
    otherToken = (await wharf.request('POST', '/v1/tokens', { name: 'other', projects: ['other'] })).body.token;
    const own = (await wharf.request('POST', '/v1/tokens', { name: 'ci-bot', projects: ['tenant'] })).body;
    ownToken = { token: own.token, id: own.id };
  });
  after(() => wharf.stop());

  it('speaks v5.channel.k8s.io: the simulated runtime says it ran nothing, on stderr, and the status carries exit code 126', async () => {
    const client = await ExecClient.open(execUrl('web', pod, execQuery(['echo', 'hello'])), { token: wharf.adminToken });
    assert.equal(client.protocol, V5_PROTOCOL);
    const status = await client.status;
    assert.equal(client.stdout, '');
    assert.equal(client.stderr, 'simulated runtime: no container runs; "echo hello" was not executed\n');
    assert.deepEqual(status, {
      metadata: {},
      status: 'Failure',
      message: `command terminated with non-zero exit code: error executing command ["echo","hello"], exit code ${SIMULATED_EXEC_EXIT_CODE}`,
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: String(SIMULATED_EXEC_EXIT_CODE) }] },
    });
    assert.deepEqual(client.channels, [2, 3], 'stderr, then the status, then the close');
  });

  it('speaks v4.channel.k8s.io to a client that offers only it, and prefers v5 when both are offered', async () => {
    const v4 = await ExecClient.open(execUrl('web', pod, execQuery(['true'])), { token: wharf.adminToken, protocols: [V4_PROTOCOL] });
    assert.equal(v4.protocol, V4_PROTOCOL);
    assert.equal((await v4.status).reason, 'NonZeroExitCode');
    const both = await ExecClient.open(execUrl('web', pod, execQuery(['true'])), { token: wharf.adminToken, protocols: [V4_PROTOCOL, V5_PROTOCOL] });
    assert.equal(both.protocol, V5_PROTOCOL);
    await both.status;
  });

  it('@kubernetes/client-node\'s own WebSocket handler speaks it, with the token from a kubeconfig', async () => {
    const config = new KubeConfig();
    config.loadFromOptions({
      clusters: [{ name: 'wharf', server: base.replace(/^ws/, 'http'), skipTLSVerify: true }],
      users: [{ name: 'admin', token: wharf.adminToken }],
      contexts: [{ name: 'wharf', cluster: 'wharf', user: 'admin' }],
      currentContext: 'wharf',
    });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let errors = '';
    stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    stdout.resume();
    const handler = new WebSocketHandler(config, undefined, { stdin: new PassThrough(), stdout, stderr });
    const status = await new Promise<any>((resolve, reject) => {
      handler
        .connect(`${paths.service('shop', 'web')}/pods/${pod}/exec?${execQuery(['uname'])}`, null, (channel, data) => {
          const ended = WebSocketHandler.handleStandardStreams(channel, data, stdout, stderr);
          if (ended) resolve(ended);
          return ended === null;
        })
        .catch(reject);
    });
    assert.equal(status.reason, 'NonZeroExitCode');
    assert.equal(errors, 'simulated runtime: no container runs; "uname" was not executed\n');
  });

  it('with a terminal there is no stderr channel: the notice comes on stdout', async () => {
    const client = await ExecClient.open(execUrl('web', pod, execQuery(['sh'], { stdin: true, tty: true })), { token: wharf.adminToken });
    await client.status;
    assert.match(client.stdout, /^simulated runtime: no container runs; "sh" was not executed/);
    assert.ok(!client.channels.includes(2), `no stderr message with a terminal: ${client.channels.join()}`);
  });

  it('serves the V2 path (services directly under the project)', async () => {
    const client = await ExecClient.open(execUrl('solo', v2Pod, execQuery(['ls']), v2.service('solo')), { token: wharf.adminToken });
    assert.match(client.stderr + (await client.status).message, /"ls" was not executed.*exit code 126/s);
  });

  it('refuses before the upgrade, as HTTP: no command (400 naming it), an empty one, no stream at all', async () => {
    const none = await ExecClient.refusal(execUrl('web', pod, ''), { token: wharf.adminToken });
    assertError(none, 400, 'InvalidArgs', 'command');
    assert.equal(none.body.key, 'command');
    assertError(await ExecClient.refusal(execUrl('web', pod, 'command='), { token: wharf.adminToken }), 400, 'InvalidArgs', 'command');
    assertError(await ExecClient.refusal(execUrl('web', pod, execQuery(['true'], { stdout: false, stderr: false })), { token: wharf.adminToken }), 400, 'InvalidArgs', 'stdin, stdout and stderr');
    assertError(await ExecClient.refusal(execUrl('web', pod, 'command=true&tty=maybe'), { token: wharf.adminToken }), 400, 'InvalidArgs', 'tty');
  });

  it('refuses an upgrade that offers neither v5 nor v4 with 400', async () => {
    const answer = await ExecClient.refusal(execUrl('web', pod, execQuery(['true'])), { token: wharf.adminToken, protocols: ['v3.channel.k8s.io'] });
    assertError(answer, 400, 'InvalidArgs', V5_PROTOCOL);
  });

  it('answers a plain GET (no upgrade) with 400 saying it needs one', async () => {
    const answer = await wharf.request('GET', `${paths.service('shop', 'web')}/pods/${pod}/exec?${execQuery(['true'])}`);
    assertError(answer, 400, 'InvalidArgs', 'WebSocket');
  });

  it('404 for an unknown pod or service, 400 for an unknown container or a missing one in a pod of two', async () => {
    assertError(await ExecClient.refusal(execUrl('web', 'web-nope', execQuery(['true'])), { token: wharf.adminToken }), 404, 'NotFound', 'web-nope');
    assertError(await ExecClient.refusal(execUrl('nope', pod, execQuery(['true'])), { token: wharf.adminToken }), 404, 'ServiceNotFound');
    const unknown = await ExecClient.refusal(execUrl('web', pod, execQuery(['true'], { container: 'ghost' })), { token: wharf.adminToken });
    assertError(unknown, 400, 'InvalidArgs', 'ghost');
    assert.equal(unknown.body.key, 'container');
    assertError(await ExecClient.refusal(execUrl('duo', twoContainerPod, execQuery(['true'])), { token: wharf.adminToken }), 400, 'InvalidArgs', 'main, side');
    const chosen = await ExecClient.open(execUrl('duo', twoContainerPod, execQuery(['true'], { container: 'side' })), { token: wharf.adminToken });
    await chosen.status;
  });

  it('401 without a token; 403 for another project\'s token, the same whether the pod exists or not', async () => {
    assertError(await ExecClient.refusal(execUrl('web', pod, execQuery(['true']))), 401, 'Unauthorized');
    const existing = await ExecClient.refusal(execUrl('web', pod, execQuery(['true'])), { token: otherToken });
    const missing = await ExecClient.refusal(execUrl('ghost', 'ghost-pod', execQuery(['true'])), { token: otherToken });
    assertError(existing, 403, 'OperationForbbiden');
    assert.deepEqual(missing, existing, 'a 403 tells nothing about what exists');
  });

  it('takes the token from Kubernetes\' bearer subprotocol, which browsers can send', async () => {
    const protocol = `base64url.bearer.authorization.k8s.io.${Buffer.from(ownToken.token).toString('base64url')}`;
    const client = await ExecClient.open(execUrl('web', pod, execQuery(['true'])), { protocols: [protocol, V5_PROTOCOL] });
    assert.equal(client.protocol, V5_PROTOCOL, 'the token is never chosen as the subprotocol');
    await client.status;
  });

  it('records every exec as an event naming who, the container and the command', async () => {
    const client = await ExecClient.open(execUrl('web', pod, execQuery(['cat', '/etc/hostname'])), { token: ownToken.token });
    await client.status;
    const ran = (event: any): boolean => event.message.includes('["cat","/etc/hostname"]');
    const event = (await eventually(execEvents, (listed) => listed.some(ran))).find(ran);
    assert.deepEqual([event.service, event.app, event.type, event.pod, event.container], ['web', 'shop', 'Normal', pod, 'main']);
    assert.match(event.message, new RegExp(`^token "ci-bot" \\(${ownToken.id}\\) ran `));
  });

  it('records no event for a refused exec', async () => {
    await ExecClient.refusal(execUrl('web', pod, execQuery(['refused-by-token'])), { token: otherToken });
    await ExecClient.refusal(execUrl('web', pod, execQuery(['refused-by-container'], { container: 'ghost' })), { token: wharf.adminToken });
    // Events are written in the order they are recorded: once this one shows, a refused exec's would have too.
    await (await ExecClient.open(execUrl('web', pod, execQuery(['marker'])), { token: wharf.adminToken })).status;
    const execs = await eventually(execEvents, (listed) => listed.some((event) => event.message.includes('["marker"]')));
    assert.deepEqual(execs.filter((event) => event.message.includes('refused-')), []);
  });

  it('a container that is not running is refused with 400 naming its state', async () => {
    // Its ConfigMap does not exist: the pod waits, its container never starts.
    const waiting = { ...container('main'), configs: [{ configMapName: 'absent', mountPath: '/etc/absent' }] };
    assert.equal((await wharf.request('POST', paths.services('shop'), { name: 'stuck', type: 'stateless', resourceSpec: '1U1G', instanceNumber: 1, containers: [waiting] })).status, 201);
    const stuck = await wharf.waitForService(paths.service('shop', 'stuck'), (service) => service.pods.length === 1);
    const answer = await ExecClient.refusal(execUrl('stuck', stuck.pods[0].name, execQuery(['true'])), { token: wharf.adminToken });
    assertError(answer, 400, 'InvalidArgs', 'is not running (waiting: ConfigMapNotFound)');
    assert.equal(answer.body.key, 'container');
  });

  it('documents the route in OpenAPI under both scopes', async () => {
    const { body } = await wharf.request('GET', '/openapi.json');
    for (const path of ['/regions/{region}/v1/projects/{project}/apps/{app}/microservices/{service}/pods/{pod}/exec', '/regions/{region}/v2/projects/{project}/microservices/{service}/pods/{pod}/exec']) {
      const operation = body.paths[path]?.get;
      assert.ok(operation, `${path} is documented`);
      assert.deepEqual(operation.tags, ['pods']);
      assert.ok(operation.parameters.some((parameter: any) => parameter.name === 'command' && parameter.in === 'query'), 'the command parameter is documented');
      assert.match(JSON.stringify(operation.responses['101']), /v5\.channel\.k8s\.io/);
    }
  });
});
