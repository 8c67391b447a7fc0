import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig, type RegionSettings } from '../../src/config.js';
import { apiPaths, assertError, createApp } from '../support/api.js';
import { startWharf, type TestWharf } from '../support/wharf.js';

const paths = apiPaths();

function service(name: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, type: 'stateless', resourceSpec: '1U1G', instanceNumber: 2, containers: [{ image: 'nginx:1' }, { image: 'sidecar:1' }], ...overrides };
}

function region(overrides: Partial<RegionSettings>): RegionSettings {
  const [local] = loadConfig({ WHARF_RUNTIME: 'simulated' }).regions;
  return { ...local!, ...overrides };
}

describe('quotas', () => {
  let wharf: TestWharf;
  let projectToken: string;
  const serviceNames = async (app = 'shop'): Promise<string[]> => (await wharf.request('GET', paths.services(app))).body.map((one: any) => one.name).sort();

  before(async () => {
    wharf = await startWharf();
    await createApp(wharf, 'shop');
    projectToken = (await wharf.request('POST', '/v1/tokens', { name: 'team', projects: ['proj'] })).body.token;
  });
  after(async () => wharf.stop());

  it('every project has the region\'s default quota, and sees its usage', async () => {
    const quota = await wharf.request('GET', paths.quota, undefined, { token: projectToken });
    assert.equal(quota.status, 200, JSON.stringify(quota.body));
    assert.deepEqual(quota.body, {
      projectName: 'proj',
      limits: { services: 100, pods: 500, containers: 1000 },
      source: 'region',
      usage: { services: 0, pods: 0, containers: 0, cpu: 0, memory: 0 },
    });
  });

  it('only an admin sets a project\'s quota', async () => {
    assertError(await wharf.request('PUT', paths.quota, { pods: 10_000 }, { token: projectToken }), 403, 'OperationForbbiden', 'admin');
    assertError(await wharf.request('DELETE', paths.quota, undefined, { token: projectToken }), 403, 'OperationForbbiden', 'admin');
    assert.equal((await wharf.request('GET', paths.quota)).body.source, 'region', 'nothing was set');
  });

  it('refuses a create over the quota with 403 QuotaExceeded naming the limit and the usage, and creates nothing', async () => {
    const set = await wharf.request('PUT', paths.quota, { services: 3, pods: 5, containers: 8, cpu: 8, memory: 8192 });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.equal(set.body.source, 'project');
    assert.equal((await wharf.request('POST', paths.services('shop'), service('a'))).status, 201);
    assert.equal((await wharf.request('POST', paths.services('shop'), service('b'))).status, 201);
    const before = await serviceNames();
    // 2 services of 2 pods of 2 containers use 4 pods and 8 containers: one more pod is over.
    const third = await wharf.request('POST', paths.services('shop'), service('c', { instanceNumber: 1 }));
    assertError(third, 403, 'QuotaExceeded', /project "proj" may use 8 containers \(quota containers\); it uses 8 and this change would make it 10/);
    assert.deepEqual(await serviceNames(), before, 'nothing was created');
    const usage = (await wharf.request('GET', paths.quota)).body.usage;
    assert.deepEqual(usage, { services: 2, pods: 4, containers: 8, cpu: 8, memory: 8192 });
  });

  it('checks scale, start and upgrade, and lets a project shrink', async () => {
    assertError(await wharf.request('PUT', paths.action('shop', 'a', 'scale/3')), 403, 'QuotaExceeded', '(quota containers)');
    assert.equal((await wharf.request('PUT', paths.action('shop', 'a', 'scale/1'))).status, 204);
    assertError(
      await wharf.request('PUT', paths.action('shop', 'a', 'upgrade'), { resourceSpec: '2U4G' }),
      403,
      'QuotaExceeded',
      'MB of memory (quota memory)',
    );
    assert.equal((await wharf.request('PUT', paths.action('shop', 'b', 'stop'))).status, 204, 'stopping always works');
    assert.equal((await wharf.request('POST', paths.services('shop'), service('c'))).status, 201, 'b\'s pods no longer count');
    assertError(await wharf.request('PUT', paths.action('shop', 'b', 'start')), 403, 'QuotaExceeded', 'would make it 10');
    const b = (await wharf.request('GET', paths.service('shop', 'b'))).body;
    assert.equal(b.status.phase === 'stopped' || b.status.desire === 0, true, `b stays stopped: ${JSON.stringify(b.status)}`);
  });

  it('an app created with its services is refused whole', async () => {
    const answer = await wharf.request('POST', paths.apps, { name: 'bulk', microservices: [service('x', { instanceNumber: 1 }), service('y', { instanceNumber: 1 })] });
    assertError(answer, 403, 'QuotaExceeded', 'services');
    assertError(await wharf.request('GET', paths.app('bulk')), 404, 'AppNotFound');
  });

  it('a quota lowered under the usage keeps what runs, and DELETE gives the region default back', async () => {
    assert.equal((await wharf.request('PUT', paths.quota, { services: 1 })).status, 200);
    assert.equal((await wharf.request('GET', paths.service('shop', 'a'))).status, 200);
    assert.equal((await wharf.request('DELETE', paths.service('shop', 'c'))).status, 204, 'deleting always works');
    assert.equal((await wharf.request('DELETE', paths.quota)).status, 204);
    assert.equal((await wharf.request('GET', paths.quota)).body.source, 'region');
  });

  it('concurrent creates never pass the quota together', async () => {
    await wharf.request('PUT', paths.quota, { services: 12 });
    await createApp(wharf, 'race');
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, index) => wharf.request('POST', paths.services('race'), service(`r${index}`, { instanceNumber: 1, containers: [{ image: 'nginx:1' }] }))),
    );
    const created = answers.filter((answer) => answer.status === 201).length;
    const refused = answers.filter((answer) => answer.status === 403 && answer.body.error === 'QuotaExceeded').length;
    const quota = (await wharf.request('GET', paths.quota)).body;
    assert.equal(created + refused, 20, JSON.stringify(answers.map((answer) => answer.status)));
    assert.equal(quota.usage.services, 12, `exactly the quota is used: ${JSON.stringify(quota.usage)}`);
  });
});

describe('a region quota and the project default from the config', () => {
  let wharf: TestWharf;
  before(async () => {
    wharf = await startWharf({ regions: [region({ quota: { pods: 3 }, projectQuota: { services: 5 } })] });
  });
  after(async () => wharf.stop());

  it('limits every project together', async () => {
    const alpha = apiPaths('local', 'alpha');
    const beta = apiPaths('local', 'beta');
    await createApp(wharf, 'shop', [], alpha);
    await createApp(wharf, 'shop', [], beta);
    assert.equal((await wharf.request('GET', alpha.quota)).body.limits.services, 5);
    assert.equal((await wharf.request('POST', alpha.services('shop'), service('a'))).status, 201);
    const over = await wharf.request('POST', beta.services('shop'), service('a'));
    assertError(over, 403, 'QuotaExceeded', /region "local" may use 3 pods .* it uses 2 and this change would make it 4/);
  });
});
