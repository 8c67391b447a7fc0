import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiPaths, assertInvalid, createApp, createService, isRunning } from '../support/api.js';
import { startWharf, type TestWharf } from '../support/wharf.js';

const paths = apiPaths();
const TIMINGS = { initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 };
let serial = 0;

function service(container: Record<string, unknown>, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: `probed${++serial}`, type: 'stateless', resourceSpec: '1U1G', containers: [{ name: 'main', image: 'registry.example/app:v1', ...container }], ...overrides };
}

describe('probes through the API', () => {
  let wharf: TestWharf;
  const create = (body: Record<string, unknown>) => wharf.request('POST', paths.services('app0'), body);
  const get = async (name: string) => (await wharf.request('GET', paths.service('app0', name))).body;
  const upgrade = (name: string, body: Record<string, unknown>) => wharf.request('PUT', paths.action('app0', name, 'upgrade'), body);
  /** The field a 400 names: its `key` where the answer has one, and always in its message. */
  const refused = async (container: Record<string, unknown>, field: string, message?: RegExp) => {
    const answer = await create(service(container));
    assertInvalid(answer, field);
    if (answer.body.key !== undefined) assert.ok(answer.body.key.startsWith(field), `key ${answer.body.key} names ${field}`);
    if (message) assert.match(answer.body.message, message);
  };

  before(async () => {
    wharf = await startWharf();
    await createApp(wharf, 'app0');
  });
  after(async () => wharf.stop());

  it("takes each kind of probe and answers it with Kubernetes' defaults filled, in GET and in the revision", async () => {
    const sent = {
      readinessProbe: { httpGet: { port: 8080 } },
      livenessProbe: { tcpSocket: { port: 8080 }, initialDelaySeconds: 20, failureThreshold: 5 },
      startupProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 2, timeoutSeconds: 3 },
    };
    const created = await createService(wharf, 'app0', service(sent, { name: 'all-kinds' }));
    const expected = {
      readinessProbe: { httpGet: { path: '/', port: 8080, scheme: 'HTTP', httpHeaders: [] }, ...TIMINGS },
      livenessProbe: { tcpSocket: { port: 8080 }, ...TIMINGS, initialDelaySeconds: 20, failureThreshold: 5 },
      startupProbe: { exec: { command: ['cat', '/tmp/ready'] }, ...TIMINGS, periodSeconds: 2, timeoutSeconds: 3 },
    };
    for (const answered of [created, await get('all-kinds')]) {
      const { readinessProbe, livenessProbe, startupProbe } = answered.containers[0];
      assert.deepEqual({ readinessProbe, livenessProbe, startupProbe }, expected);
    }
    const [revision] = (await wharf.request('GET', paths.revisions('app0', 'all-kinds'))).body;
    assert.deepEqual(revision.containers[0].readinessProbe, expected.readinessProbe);
  });

  it('keeps an httpGet probe as given: path, HTTPS, headers, thresholds', async () => {
    const readinessProbe = {
      httpGet: { path: '/health?full=1', port: 443, scheme: 'HTTPS', httpHeaders: [{ name: 'Host', value: 'shop.example' }, { name: 'X-Probe', value: '' }] },
      initialDelaySeconds: 3,
      periodSeconds: 4,
      timeoutSeconds: 5,
      successThreshold: 6,
      failureThreshold: 7,
    };
    const created = await createService(wharf, 'app0', service({ readinessProbe }, { name: 'https-probe' }));
    assert.deepEqual(created.containers[0].readinessProbe, readinessProbe);
  });

  it('a container without probes answers none', async () => {
    const created = await createService(wharf, 'app0', service({}, { name: 'no-probes' }));
    for (const kind of ['readinessProbe', 'livenessProbe', 'startupProbe']) assert.equal(kind in created.containers[0], false, `${kind} is absent`);
  });

  it('refuses a probe with no handler or more than one, naming the probe', async () => {
    await refused({ readinessProbe: {} }, 'containers[0].readinessProbe', /exactly one of httpGet, tcpSocket and exec; none is set/);
    await refused({ livenessProbe: { periodSeconds: 5 } }, 'containers[0].livenessProbe', /none is set/);
    await refused({ readinessProbe: { httpGet: { port: 80 }, exec: { command: ['true'] } } }, 'containers[0].readinessProbe', /httpGet and exec are set/);
    await refused({ startupProbe: { tcpSocket: { port: 80 }, exec: { command: ['true'] } } }, 'containers[0].startupProbe', /tcpSocket and exec are set/);
  });

  it('refuses successThreshold above 1 on a liveness or startup probe', async () => {
    await refused({ livenessProbe: { tcpSocket: { port: 80 }, successThreshold: 2 } }, 'containers[0].livenessProbe.successThreshold', /must be 1/);
    await refused({ startupProbe: { tcpSocket: { port: 80 }, successThreshold: 2 } }, 'containers[0].startupProbe.successThreshold', /must be 1/);
    assert.equal((await create(service({ readinessProbe: { tcpSocket: { port: 80 }, successThreshold: 2 } }))).status, 201, 'a readiness probe may ask for 2');
  });

  it('refuses out-of-range and malformed settings, naming the field', async () => {
    await refused({ readinessProbe: { httpGet: { port: 0 } } }, 'containers[0].readinessProbe.httpGet.port');
    await refused({ readinessProbe: { tcpSocket: { port: 65536 } } }, 'containers[0].readinessProbe.tcpSocket.port');
    await refused({ readinessProbe: { httpGet: { port: 80, path: 'health' } } }, 'containers[0].readinessProbe.httpGet.path');
    await refused({ readinessProbe: { httpGet: { port: 80, scheme: 'FTP' } } }, 'containers[0].readinessProbe.httpGet.scheme');
    await refused({ readinessProbe: { httpGet: { port: 80, httpHeaders: [{ name: 'bad header', value: 'x' }] } } }, 'containers[0].readinessProbe.httpGet.httpHeaders[0].name');
    await refused({ livenessProbe: { exec: { command: [] } } }, 'containers[0].livenessProbe.exec.command');
    await refused({ livenessProbe: { tcpSocket: { port: 80 }, periodSeconds: 0 } }, 'containers[0].livenessProbe.periodSeconds');
    await refused({ livenessProbe: { tcpSocket: { port: 80 }, timeoutSeconds: 0 } }, 'containers[0].livenessProbe.timeoutSeconds');
    await refused({ startupProbe: { tcpSocket: { port: 80 }, failureThreshold: 0 } }, 'containers[0].startupProbe.failureThreshold');
    await refused({ startupProbe: { tcpSocket: { port: 80 }, initialDelaySeconds: -1 } }, 'containers[0].startupProbe.initialDelaySeconds');
    // Kubernetes' grpc handler is not one of Wharf's: unknown, so dropped (with a Warning header), which leaves none.
    await refused({ readinessProbe: { grpc: { port: 80 } } }, 'containers[0].readinessProbe', /none is set/);
  });

  it('names the container by its index in the request', async () => {
    const answer = await create(service({}, { containers: [{ name: 'a', image: 'registry.example/app:v1' }, { name: 'b', image: 'registry.example/app:v1', readinessProbe: {} }] }));
    assertInvalid(answer, 'containers[1].readinessProbe');
  });

  it('a probe change is a new revision; an upgrade that leaves the probe out or null keeps it; {} removes it', async () => {
    const readinessProbe = { tcpSocket: { port: 80 } };
    await createService(wharf, 'app0', service({ readinessProbe }, { name: 'changing' }));

    const changed = await upgrade('changing', { containers: [{ name: 'main', readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 5 } }] });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.equal(changed.body.revision, 2);
    assert.equal(changed.body.containers[0].readinessProbe.periodSeconds, 5);

    const added = await upgrade('changing', { containers: [{ name: 'main', livenessProbe: { httpGet: { port: 80 } } }] });
    assert.equal(added.body.revision, 3, 'adding a probe is a new revision');
    assert.equal(added.body.containers[0].readinessProbe.periodSeconds, 5, 'a probe left out is kept');

    const kept = await upgrade('changing', { containers: [{ name: 'main', readinessProbe: null, livenessProbe: null }] });
    assert.equal(kept.status, 200, JSON.stringify(kept.body));
    assert.equal(kept.body.revision, 3, 'null keeps both probes: the template is unchanged, so no revision');
    assert.deepEqual(Object.keys(kept.body.containers[0]).filter((key) => key.endsWith('Probe')).sort(), ['livenessProbe', 'readinessProbe']);

    const removed = await upgrade('changing', { containers: [{ name: 'main', readinessProbe: {} }] });
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    assert.equal(removed.body.revision, 4, 'removing a probe is a new revision');
    assert.equal('readinessProbe' in removed.body.containers[0], false, '{} removed the readiness probe');
    assert.deepEqual(removed.body.containers[0].livenessProbe, { httpGet: { path: '/', port: 80, scheme: 'HTTP', httpHeaders: [] }, ...TIMINGS });

    const revisions = (await wharf.request('GET', paths.revisions('app0', 'changing'))).body;
    assert.deepEqual(revisions.map((revision: any) => revision.revision), [1, 2, 3, 4]);
    const back = await wharf.request('PUT', paths.rollback('app0', 'changing', 1));
    assert.equal(back.status, 204, JSON.stringify(back.body));
    const rolledBack = await get('changing');
    assert.deepEqual(rolledBack.containers[0].readinessProbe, { tcpSocket: { port: 80 }, ...TIMINGS }, "a rollback brings the old revision's probes back");
    assert.equal('livenessProbe' in rolledBack.containers[0], false, 'and only those');
  });

  it('an upgrade that removes a probe the container lacks, or gives an invalid one, is refused or changes nothing', async () => {
    await createService(wharf, 'app0', service({}, { name: 'plain' }));
    const nothing = await upgrade('plain', { containers: [{ name: 'main', startupProbe: {} }] });
    assert.equal(nothing.status, 200, JSON.stringify(nothing.body));
    assert.equal(nothing.body.revision, 1, 'removing a probe the container does not have changes nothing');
    assertInvalid(await upgrade('plain', { containers: [{ name: 'main', livenessProbe: { exec: { command: ['true'] }, successThreshold: 3 } }] }), 'containers[0].livenessProbe.successThreshold');
    assertInvalid(await upgrade('plain', { containers: [{ name: 'main', readinessProbe: { periodSeconds: 3 } }] }), 'containers[0].readinessProbe');
  });

  it('a container without probes keeps the pod template hash it had before probes existed: no pod is replaced for them', async () => {
    // gb5cdph96m: the template hash of this service computed by Wharf before probes were added (commit 899fc43).
    await createService(wharf, 'app0', { name: 'stable', type: 'stateless', resourceSpec: '1U1G', containers: [{ name: 'main', image: 'registry.example/app:v1' }] });
    const running = await wharf.waitForService(paths.service('app0', 'stable'), isRunning);
    for (const pod of running.pods) assert.match(pod.name, /^app0-stable-gb5cdph96m-[a-z0-9]{5}$/);
    // The same service with a probe has another hash.
    await createService(wharf, 'app0', { name: 'stable2', type: 'stateless', resourceSpec: '1U1G', containers: [{ name: 'main', image: 'registry.example/app:v1', readinessProbe: { tcpSocket: { port: 80 } } }] });
    const probed = await wharf.waitForService(paths.service('app0', 'stable2'), (body) => body.pods.length === 1);
    assert.doesNotMatch(probed.pods[0].name, /gb5cdph96m/);
  });

  it('the OpenAPI document describes the probes and the new container status fields', async () => {
    const document = (await wharf.request('GET', '/openapi.json')).body;
    const text = JSON.stringify(document);
    for (const word of ['readinessProbe', 'livenessProbe', 'startupProbe', 'httpGet', 'tcpSocket', 'failureThreshold', 'lastState', 'startedAt', 'restartCount', 'terminating']) {
      assert.ok(text.includes(`"${word}"`), `the OpenAPI document names ${word}`);
    }
    const create = document.paths['/regions/{region}/v1/projects/{project}/apps/{app}/microservices'].post;
    const container = create.requestBody.content['application/json'].schema.properties.containers.items;
    assert.ok(container.properties.readinessProbe?.properties?.httpGet, 'the create request documents readinessProbe.httpGet');
  });
});
