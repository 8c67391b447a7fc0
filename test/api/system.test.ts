import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiPaths, assertError } from '../support/api.js';
import { startWharf, type TestWharf } from '../support/wharf.js';

const SEED_PATHS: Record<string, string[]> = {
  '/regions/{region}/v1/resourcespecs': ['get'],
  '/regions/{region}/v1/projects/{project}/apps': ['get', 'post'],
  '/regions/{region}/v1/projects/{project}/apps/{app}': ['delete', 'get'],
  '/regions/{region}/v1/projects/{project}/apps/{app}/microservices': ['get', 'post'],
  '/regions/{region}/v1/projects/{project}/apps/{app}/microservices/{service}': ['delete', 'get'],
  '/regions/{region}/v1/projects/{project}/apps/{app}/microservices/{service}/stop': ['put'],
  '/regions/{region}/v1/projects/{project}/apps/{app}/microservices/{service}/start': ['put'],
  '/regions/{region}/v1/projects/{project}/apps/{app}/microservices/{service}/scale/{count}': ['put'],
  '/regions/{region}/v1/projects/{project}/apps/{app}/microservices/{service}/upgrade': ['put'],
  '/regions/{region}/v1/projects/{project}/apps/{app}/microservices/{service}/ports': ['put'],
  '/regions/{region}/v1/projects/{project}/apps/{app}/microservices/{service}/revisions': ['get'],
  '/regions/{region}/v1/projects/{project}/apps/{app}/microservices/{service}/revisions/{revision}/rollback': ['put'],
};

describe('system endpoints', () => {
  let wharf: TestWharf;
  before(async () => {
    wharf = await startWharf();
  });
  after(async () => wharf.stop());

  it('lists the seed resource specs, 2U4G with 4096 MB, under memory and meomory', async () => {
    const answer = await wharf.request('GET', apiPaths().resourceSpecs);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, [
      { name: '1U1G', cpu: 1, memory: 1024, meomory: 1024, desc: '简约型' },
      { name: '1U2G', cpu: 1, memory: 2048, meomory: 2048, desc: '通用型' },
      { name: '2U2G', cpu: 2, memory: 2048, meomory: 2048, desc: '通用型' },
      { name: '2U4G', cpu: 2, memory: 4096, meomory: 4096, desc: '通用型' },
    ]);
  });

  it('lists the regions, saying the simulated runtime is simulated', async () => {
    const answer = await wharf.request('GET', '/v1/regions');
    assert.equal(answer.status, 200);
    assert.equal(answer.body.length, 1);
    const [local] = answer.body;
    assert.deepEqual(Object.keys(local).sort(), ['description', 'leader', 'name', 'runtime', 'simulated']);
    assert.equal(local.name, 'local');
    assert.equal(local.runtime, 'simulated');
    assert.equal(local.simulated, true);
    assert.match(local.description, /simulated/);
  });

  it('answers /healthz, naming the replica and the regions it leads; the region listing names the same leader', async () => {
    const answer = await wharf.request('GET', '/healthz', undefined, 'none');
    assert.equal(answer.status, 200, 'no token needed');
    assert.equal(answer.body.status, 'ok');
    assert.match(answer.body.replica, /^\S+-\d+-[0-9a-f]{4}$/, 'hostname, pid and a random suffix by default');
    assert.deepEqual(answer.body.leads, ['local'], 'one process leads every region, on either store while alone');
    const [local] = (await wharf.request('GET', '/v1/regions')).body;
    assert.equal(local.leader.replica, answer.body.replica);
    assert.ok(Date.parse(local.leader.since) <= Date.now(), `since is a time: ${local.leader.since}`);
  });

  it('serves an OpenAPI 3 document listing every seed path and method', async () => {
    const answer = await wharf.request('GET', '/openapi.json');
    assert.equal(answer.status, 200);
    assert.match(answer.body.openapi, /^3\.\d+\.\d+$/);
    assert.equal(typeof answer.body.info.title, 'string');
    for (const [path, methods] of Object.entries(SEED_PATHS)) {
      const operations = answer.body.paths[path];
      assert.ok(operations, `${path} is missing`);
      for (const method of methods) assert.ok(operations[method]?.responses, `${method} ${path} is missing`);
    }
    for (const [path, operations] of Object.entries<any>(answer.body.paths)) {
      const placeholders = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
      for (const [method, operation] of Object.entries<any>(operations)) {
        const declared = (operation.parameters ?? []).filter((parameter: any) => parameter.in === 'path').map((parameter: any) => parameter.name).sort();
        assert.deepEqual(declared, placeholders, `${method} ${path} declares its path parameters`);
        assert.ok(Object.keys(operation.responses).length > 0, `${method} ${path} documents its responses`);
      }
    }
    const create = answer.body.paths['/regions/{region}/v1/projects/{project}/apps/{app}/microservices'].post;
    assert.ok(create.responses['201'], 'create documents its 201');
    assert.ok(create.requestBody.content['application/json'].schema.properties.containers, 'create.requestBody.content[\'application/json\'].schema.properties.containers');
  });

  it('answers an unknown region with 404 RegionNotFound on every regional path', async () => {
    const paths = apiPaths('atlantis');
    const probes: Array<[string, string, unknown?]> = [
      ['GET', paths.resourceSpecs],
      ['GET', paths.apps],
      ['POST', paths.apps, { name: 'app0' }],
      ['GET', paths.service('app0', 'web')],
      ['PUT', paths.action('app0', 'web', 'scale/2')],
    ];
    for (const [method, url, body] of probes) {
      assertError(await wharf.request(method, url, body), 404, 'RegionNotFound', 'atlantis');
    }
  });
});
