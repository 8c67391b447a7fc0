import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig, type RegionSettings } from '../../src/config.js';
import { createService as createDomainService, setPorts } from '../../src/domain/service.js';
import { regionPolicy } from '../../src/regions.js';
import { apiPaths, assertInvalid, createApp, createService } from '../support/api.js';
import { dropDatabaseOf } from '../support/database.js';
import { startWharf, type TestWharf } from '../support/wharf.js';

// No GPU exists where these tests run: they check what Wharf stores, answers and asks of an engine;
// test/runtime/ checks the Docker DeviceRequests and Kubernetes resources it asks with.

const paths = apiPaths();
const T4 = { type: 'nvidia-t4', number: 1 };

/** The region `local` of a config file, as an operator writes it. */
function regionFromYaml(yaml: string): RegionSettings {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-gpu-config-'));
  try {
    const file = join(dir, 'wharf.yaml');
    writeFileSync(file, `regions:\n  - name: local\n    runtime: simulated\n${yaml}`);
    return loadConfig({}, file).regions[0]!;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const GPU_REGION = regionFromYaml(`    gpus:
      - { type: nvidia-t4 }
      - { type: nvidia-a100, docker: { driver: nvidia, capabilities: [gpu, compute] }, kubernetes: { resource: nvidia.com/gpu, nodeSelector: { gpu: a100 } } }
`);

function service(name: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, type: 'stateless', resourceSpec: '1U1G', containers: [{ name: 'main', image: 'registry.example/train:1' }], ...overrides };
}

describe('gpus in the config', () => {
  it("fills NVIDIA's defaults and keeps what the operator wrote", () => {
    assert.deepEqual(GPU_REGION.gpus, [
      { type: 'nvidia-t4', docker: { driver: 'nvidia', capabilities: ['gpu'] }, kubernetes: { resource: 'nvidia.com/gpu', nodeSelector: {} } },
      { type: 'nvidia-a100', docker: { driver: 'nvidia', capabilities: ['gpu', 'compute'] }, kubernetes: { resource: 'nvidia.com/gpu', nodeSelector: { gpu: 'a100' } } },
    ]);
    assert.deepEqual(loadConfig({}).regions[0]!.gpus, [], 'no config: no GPU');
  });

  it('refuses a type listed twice and a field it does not know', () => {
    assert.throws(() => regionFromYaml('    gpus: [{ type: t4 }, { type: t4 }]\n'), /region "local" lists GPU type "t4" twice/);
    assert.throws(() => regionFromYaml('    gpus: [{ type: t4, count: 1 }]\n'), /gpus\/0/);
  });
});

describe('gpuSpec on a microservice', () => {
  let wharf: TestWharf;
  const get = async (name: string) => (await wharf.request('GET', paths.service('app0', name))).body;
  const upgrade = (name: string, body: unknown) => wharf.request('PUT', paths.action('app0', name, 'upgrade'), body);
  const revisions = async (name: string) => (await wharf.request('GET', paths.revisions('app0', name))).body;

  before(async () => {
    wharf = await startWharf({ regions: [GPU_REGION] });
    await createApp(wharf, 'app0');
  });
  after(async () => wharf.stop());

  it('is answered as created, and left out of a service without GPUs (the SDK marks it omitempty)', async () => {
    const created = await createService(wharf, 'app0', service('train', { gpuSpec: T4 }));
    assert.deepEqual(created.gpuSpec, T4);
    assert.deepEqual((await get('train')).gpuSpec, T4);
    assert.deepEqual((await revisions('train'))[0].gpuSpec, T4);
    const plain = await createService(wharf, 'app0', service('plain', { gpuSpec: null }));
    assert.equal('gpuSpec' in plain, false, 'null is absent');
    assert.equal('gpuSpec' in (await revisions('plain'))[0], false, 'nor in its revision');
    const zero = await createService(wharf, 'app0', service('zero', { gpuSpec: { type: '', number: 0 } }));
    assert.equal('gpuSpec' in zero, false, 'number 0: no GPU');
  });

  it('a type the region lacks is 400 naming the types it has; the service is not created', async () => {
    const answer = await wharf.request('POST', paths.services('app0'), service('h100', { gpuSpec: { type: 'nvidia-h100', number: 1 } }));
    assertInvalid(answer, 'gpuSpec.type "nvidia-h100" is not offered in this region (one of: nvidia-t4, nvidia-a100)');
    assert.equal(answer.body.key, 'gpuSpec.type');
    assert.equal((await wharf.request('GET', paths.service('app0', 'h100'))).status, 404);
    assertInvalid(await wharf.request('POST', paths.services('app0'), service('many', { gpuSpec: { type: 'nvidia-t4', number: 9 } })), 'gpuSpec.number');
    assertInvalid(await wharf.request('POST', paths.services('app0'), service('typeless', { gpuSpec: { number: 1 } })), 'gpuSpec.type');
  });

  it('an inline service of a new app is checked the same way', async () => {
    const answer = await wharf.request('POST', paths.apps, { name: 'app1', microservices: [service('a', { gpuSpec: { type: 'tpu', number: 1 } })] });
    assertInvalid(answer, 'microservices[0].gpuSpec.type "tpu"');
  });

  it('an upgrade changes it (revision 2), keeps it when absent or null, and removes it with number 0', async () => {
    await createService(wharf, 'app0', service('up', { gpuSpec: T4 }));
    const changed = await upgrade('up', { gpuSpec: { type: 'nvidia-a100', number: 2 } });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.equal(changed.body.revision, 2);
    assert.deepEqual(changed.body.gpuSpec, { type: 'nvidia-a100', number: 2 });

    const kept = await upgrade('up', { resourceSpec: '2U4G', gpuSpec: null });
    assert.equal(kept.body.revision, 3);
    assert.deepEqual(kept.body.gpuSpec, { type: 'nvidia-a100', number: 2 }, 'null keeps the GPUs');
    const same = await upgrade('up', { gpuSpec: { type: 'nvidia-a100', number: 2 } });
    assert.equal(same.body.revision, 3, 'the same GPUs are no new revision');

    const removed = await upgrade('up', { gpuSpec: { type: '', number: 0 } });
    assert.equal(removed.body.revision, 4);
    assert.equal('gpuSpec' in removed.body, false, 'number 0 removes the GPUs');
    assertInvalid(await upgrade('up', { gpuSpec: { type: 'tpu', number: 1 } }), 'gpuSpec.type "tpu"');
    assert.equal((await get('up')).revision, 4, 'a refused upgrade changes nothing');
  });

  it('a rollback restores the GPUs of the revision, or their absence', async () => {
    await createService(wharf, 'app0', service('back'));
    await upgrade('back', { gpuSpec: T4 });
    assert.equal((await wharf.request('PUT', paths.rollback('app0', 'back', 1))).status, 204);
    const rolledBack = await get('back');
    assert.equal(rolledBack.revision, 3);
    assert.equal('gpuSpec' in rolledBack, false, 'revision 1 had no GPU');
    assert.equal((await wharf.request('PUT', paths.rollback('app0', 'back', 2))).status, 204);
    assert.deepEqual((await get('back')).gpuSpec, T4);
    assert.deepEqual((await revisions('back')).map((revision: any) => revision.gpuSpec ?? null), [null, T4, null, T4]);
  });

  it('survives a restart: the store keeps it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wharf-gpu-store-'));
    try {
      let first = await startWharf({ dataDir, regions: [GPU_REGION] });
      await createApp(first, 'app0');
      await createService(first, 'app0', service('kept', { gpuSpec: T4 }));
      await first.stop();
      first = await startWharf({ dataDir, regions: [GPU_REGION] });
      const answer = await first.request('GET', paths.service('app0', 'kept'));
      await first.stop();
      assert.deepEqual(answer.body.gpuSpec, T4);
      assert.equal(answer.body.revision, 1);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
      await dropDatabaseOf(dataDir);
    }
  });
});

describe('servicePort on a port', () => {
  let wharf: TestWharf;
  const setPortsOf = (name: string, ports: unknown) => wharf.request('PUT', paths.action('app0', name, 'ports'), { ports });

  before(async () => {
    wharf = await startWharf();
    await createApp(wharf, 'app0');
  });
  after(async () => wharf.stop());

  it('the simulated region accepts it as Kubernetes does; answered only where it differs from port', async () => {
    const ports = [{ port: 8080, protocol: 'TCP', servicePort: 80 }, { port: 53, protocol: 'UDP', servicePort: 53 }, { port: 9090, protocol: 'TCP', servicePort: 0 }];
    const created = await createService(wharf, 'app0', service('web', { ports }));
    assert.deepEqual(created.ports, [{ port: 8080, protocol: 'TCP', servicePort: 80 }, { port: 53, protocol: 'UDP' }, { port: 9090, protocol: 'TCP' }]);
    assert.equal(created.revision, 1);
  });

  it('a ports update sets it without a new revision; two ports on one service port are refused', async () => {
    await createService(wharf, 'app0', service('api'));
    const answer = await setPortsOf('api', [{ port: 8443, protocol: 'TCP', servicePort: 443 }]);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(answer.body.ports, [{ port: 8443, protocol: 'TCP', servicePort: 443 }]);
    assert.equal(answer.body.revision, 1);

    const clash = await setPortsOf('api', [{ port: 443, protocol: 'TCP' }, { port: 8443, protocol: 'TCP', servicePort: 443 }]);
    assertInvalid(clash, 'ports[1] answers on 443/TCP, as ports[0] does');
    assert.equal(clash.body.key, 'ports[1].servicePort');
    assertInvalid(await setPortsOf('api', [{ port: 80, protocol: 'TCP', servicePort: 65536 }]), 'ports[0].servicePort');
    assert.deepEqual((await wharf.request('GET', paths.service('app0', 'api'))).body.ports, [{ port: 8443, protocol: 'TCP', servicePort: 443 }]);
  });

  it("a Docker region's policy refuses a servicePort other than the port, saying why", () => {
    // Starting Docker here is not needed: the API applies this policy as it does the simulated one.
    const settings = loadConfig({}).regions[0]!;
    const docker = regionPolicy(settings, 'docker');
    assert.equal(regionPolicy(settings, 'simulated').mapsServicePorts, true);
    assert.equal(regionPolicy(settings, 'kubernetes').mapsServicePorts, true);
    const key = { region: 'local', project: 'proj', app: 'app0', service: 'web' };
    const { state } = createDomainService(key, { name: 'web', type: 'stateless', resourceSpec: '1U1G', containers: [{ image: 'web:1' }] }, docker, { uid: 'u', now: 'now' });
    assert.throws(
      () => setPorts(state, [{ port: 8080, protocol: 'TCP', servicePort: 80 }], docker, 'now'),
      /ports\[0\]\.servicePort 80 differs from port 8080, which this region's runtime cannot honour: services reach their pods on the pods' own ports \(Docker DNS aliases\)/,
    );
    assert.deepEqual(setPorts(state, [{ port: 80, protocol: 'TCP', servicePort: 80 }], docker, 'now').state.ports, [{ port: 80, protocol: 'TCP' }], 'equal to the port: accepted');
  });
});
