import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../../../src/config.js';
import type { ExecOptions, ExecSession } from '../../../src/runtime/exec.js';
import { API_CALLS, KubernetesApi } from '../../../src/runtime/kubernetes/api.js';
import { KubernetesRuntime } from '../../../src/runtime/kubernetes/kubernetes-runtime.js';
import { kubernetesSettings } from '../../../src/runtime/kubernetes/settings.js';
import { RuntimeUnavailableError } from '../../../src/runtime/runtime.js';
import { apiPaths } from '../../support/api.js';
import { ExecClient, execQuery } from '../../support/exec-client.js';
import { KubeApiServer } from '../../support/kube-api-server.js';
import { startKubernetesWharf, writeKubeconfig } from '../../support/kubernetes-scenarios.js';
import type { TestWharf } from '../../support/wharf.js';

const REGION = loadConfig({}).regions[0]!;
const key = { region: 'r1', project: 'p', app: 'app0', service: 'web' };
const POD = 'app0-web-abc12-xyz89';

const options = (command: string[], flags: Partial<ExecOptions> = {}): ExecOptions => ({ container: 'main', command, stdin: false, stdout: true, stderr: true, tty: false, ...flags });

async function text(stream: Readable | undefined): Promise<string> {
  let all = '';
  for await (const chunk of stream ?? []) all += (chunk as Buffer).toString();
  return all;
}

/** Everything a session printed, and how it ended. */
async function outcome(session: ExecSession) {
  const [stdout, stderr, ending] = await Promise.all([text(session.stdout), text(session.stderr), session.ending]);
  return { stdout, stderr, ending };
}

describe('Kubernetes runtime: exec through pods/exec on the test API server', () => {
  let server: KubeApiServer;
  let runtime: KubernetesRuntime;

  before(async () => {
    server = await KubeApiServer.start();
    runtime = new KubernetesRuntime({
      region: 'r1',
      settings: kubernetesSettings({ kubernetes: {}, security: REGION.security, defaultVolumeSizeGi: 10, storageTypes: [] }),
      api: new KubernetesApi(server.kubeConfig()),
      events: { record: () => undefined },
      log: pino({ level: 'silent' }),
      backoff: { baseDelayMs: 10, maxDelayMs: 50 },
    });
    server.put('namespaces', { metadata: { name: 'wharf-p' } });
    server.put('pods', { metadata: { name: POD, namespace: 'wharf-p' }, spec: { containers: [{ name: 'main' }, { name: 'side' }] }, status: { phase: 'Running' } });
  });
  after(async () => {
    await runtime.close();
    await server.close();
  });

  it('runs the command in the named container of the project\'s namespace: stdout, exit 0', async () => {
    const { stdout, stderr, ending } = await outcome(await runtime.exec({ key, pod: POD }, options(['echo', 'hello', 'world'])));
    assert.deepEqual({ stdout, stderr, ending }, { stdout: 'hello world\n', stderr: '', ending: { exitCode: 0 } });
    const call = server.exec.calls.at(-1)!;
    assert.deepEqual({ ...call }, { namespace: 'wharf-p', pod: POD, container: 'main', command: ['echo', 'hello', 'world'], stdin: false, tty: false, protocol: 'v5.channel.k8s.io' });
  });

  it('stderr on its own stream; a non-zero exit code from the status', async () => {
    assert.deepEqual(await outcome(await runtime.exec({ key, pod: POD }, options(['sh', '-c', 'echo oops >&2']))), { stdout: '', stderr: 'oops\n', ending: { exitCode: 0 } });
    assert.deepEqual((await outcome(await runtime.exec({ key, pod: POD }, options(['sh', '-c', 'exit 3'])))).ending, { exitCode: 3 });
  });

  it('stdin goes to the command; ending it sends v5\'s close, and the command reads EOF', async () => {
    const session = await runtime.exec({ key, pod: POD }, options(['cat'], { stdin: true }));
    session.stdin!.write('one\n');
    session.stdin!.end('two\n');
    assert.deepEqual(await outcome(session), { stdout: 'one\ntwo\n', stderr: '', ending: { exitCode: 0 } });
  });

  it('resizes the terminal on channel 4', async () => {
    const session = await runtime.exec({ key, pod: POD }, options(['stty', 'size'], { stdin: true, tty: true, stderr: false }));
    assert.equal(session.stderr, undefined, 'a terminal has one output stream');
    await session.resize({ width: 123, height: 45 });
    assert.deepEqual(await outcome(session), { stdout: '45 123\r\n', stderr: '', ending: { exitCode: 0 } });
  });

  it('a program the node does not have: the failure in the kubelet\'s words', async () => {
    const { ending } = await outcome(await runtime.exec({ key, pod: POD }, options(['no-such-program'])));
    assert.ok('failure' in ending, JSON.stringify(ending));
    assert.match(ending.failure, /"no-such-program": executable file not found/);
  });

  it('refusals carry the API server\'s message: 404 for a missing pod, 400 for a container it does not have', async () => {
    await assert.rejects(runtime.exec({ key, pod: 'gone' }, options(['true'])), (error: any) => {
      assert.equal(error.code, 'NotFound');
      assert.match(error.message, /pods "gone" not found/);
      return true;
    });
    await assert.rejects(runtime.exec({ key, pod: POD }, options(['true'], { container: 'ghost' })), (error: any) => {
      assert.equal(error.code, 'InvalidArgs');
      assert.match(error.message, /container ghost is not valid for pod/);
      return true;
    });
  });

  it('every exec request is one RBAC grants (pods/exec get and create)', () => {
    const granted = new Set(API_CALLS.flatMap((call) => call.verbs.map((verb) => `${call.apiGroup}|${call.resource}|${verb}`)));
    const made = [...server.authorizedCalls()];
    assert.ok(made.includes('|pods/exec|get') && made.includes('|pods/exec|create'), made.join(' '));
    for (const call of made) assert.ok(granted.has(call), `${call} is not in API_CALLS (deploy/kubernetes/common/rbac.yaml)`);
  });

  it('an API server that does not answer: 503 RuntimeUnavailable', async () => {
    await server.stop();
    try {
      await assert.rejects(runtime.exec({ key, pod: POD }, options(['true'])), RuntimeUnavailableError);
    } finally {
      await server.restart();
    }
  });
});

describe('Wharf on the test API server: exec through the API', () => {
  const paths = apiPaths('local', 'shell');
  let server: KubeApiServer;
  let stopControllers: () => void;
  let wharf: TestWharf;
  let url: (query: string) => string;

  before(async () => {
    server = await KubeApiServer.start();
    stopControllers = server.simulateControllers();
    wharf = await startKubernetesWharf(writeKubeconfig(server.kubeconfigYaml()), 'wharf-');
    await wharf.api.listen({ port: 0, host: '127.0.0.1' });
    const created = await wharf.request('POST', paths.apps, {
      name: 'shop',
      microservices: [{ name: 'web', type: 'stateless', resourceSpec: '1U1G', instanceNumber: 1, containers: [{ name: 'main', image: 'nginx:1.27' }] }],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const service = await wharf.waitForService(paths.service('shop', 'web'), (s) => s.status.phase === 'running' && s.pods.length === 1, 10_000);
    const base = `ws://127.0.0.1:${(wharf.api.server.address() as AddressInfo).port}`;
    url = (query) => `${base}${paths.service('shop', 'web')}/pods/${service.pods[0].name}/exec?${query}`;
  });
  after(async () => {
    await wharf.stop();
    stopControllers();
    await server.close();
  });

  it('echo hello: the pod\'s output and Success, through Wharf to the API server and back', async () => {
    const client = await ExecClient.open(url(execQuery(['echo', 'hello'])), { token: wharf.adminToken });
    assert.deepEqual(await client.status, { metadata: {}, status: 'Success' });
    assert.equal(client.stdout, 'hello\n');
    assert.equal(server.exec.calls.at(-1)!.namespace, 'wharf-shell');
  });

  it('stdin and its v5 close pass through; the exit code comes back as NonZeroExitCode', async () => {
    const cat = await ExecClient.open(url(execQuery(['cat'], { stdin: true })), { token: wharf.adminToken });
    cat.sendStdin('through\n');
    await cat.waitForStdout(/^through\n$/);
    cat.closeStdin();
    assert.equal((await cat.status).status, 'Success');

    const exit = await ExecClient.open(url(execQuery(['sh', '-c', 'exit 3'])), { token: wharf.adminToken });
    const status = await exit.status;
    assert.equal(status.reason, 'NonZeroExitCode');
    assert.deepEqual(status.details, { causes: [{ reason: 'ExitCode', message: '3' }] });
  });

  it('a resize from the client reaches the pod\'s terminal', async () => {
    const client = await ExecClient.open(url(execQuery(['stty', 'size'], { stdin: true, tty: true })), { token: wharf.adminToken });
    client.resize(100, 30);
    assert.equal((await client.status).status, 'Success');
    assert.equal(client.stdout, '30 100\r\n');
  });
});
