import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { apiPaths, createApp, createService, isRunning, isStopped } from '../support/api.js';
import { createSeedConfigMap, startWharf, statelessService, type TestWharf } from '../support/wharf.js';

function twoRegions() {
  const [local] = loadConfig({ WHARF_RUNTIME: 'simulated' }).regions;
  return [local!, { ...local!, name: 'east', maxInstances: 5 }];
}

describe('names live inside their region and project', () => {
  let wharf: TestWharf;
  const places = {
    alpha: apiPaths('local', 'alpha'),
    beta: apiPaths('local', 'beta'),
    east: apiPaths('east', 'alpha'),
  };

  before(async () => {
    wharf = await startWharf({ regions: twoRegions() });
    for (const [place, paths] of Object.entries(places)) {
      await createSeedConfigMap(wharf, paths);
      await createApp(wharf, 'shop', [], paths);
      await createService(wharf, 'shop', statelessService('web', { resourceSpec: place === 'beta' ? '2U2G' : '1U1G' }), paths);
    }
  });
  after(async () => wharf.stop());

  it('lists both regions', async () => {
    const regions = await wharf.request('GET', '/v1/regions');
    assert.deepEqual(regions.body.map((region: any) => [region.name, region.runtime]), [['local', 'simulated'], ['east', 'simulated']]);
  });

  it('keeps each service its own', async () => {
    for (const [place, paths] of Object.entries(places)) {
      const service = await wharf.waitForService(paths.service('shop', 'web'), isRunning);
      assert.equal(service.resourceSpec, place === 'beta' ? '2U2G' : '1U1G');
      assert.equal(service.pods.length, 1);
    }
  });

  it('stops one without touching the others', async () => {
    assert.equal((await wharf.request('PUT', places.beta.action('shop', 'web', 'stop'))).status, 204);
    await wharf.waitForService(places.beta.service('shop', 'web'), isStopped);
    for (const paths of [places.alpha, places.east]) {
      const service = await wharf.waitForService(paths.service('shop', 'web'), isRunning);
      assert.equal(service.pods.length, 1);
    }
  });

  it('applies each region\'s own limits', async () => {
    assert.equal((await wharf.request('PUT', places.east.action('shop', 'web', 'scale/6'))).status, 400);
    assert.equal((await wharf.request('PUT', places.alpha.action('shop', 'web', 'scale/6'))).status, 204);
  });

  it('deletes one app without touching the others', async () => {
    assert.equal((await wharf.request('DELETE', places.alpha.app('shop'))).status, 204);
    assert.equal((await wharf.request('GET', places.alpha.app('shop'))).status, 404);
    assert.equal((await wharf.request('GET', places.beta.app('shop'))).status, 200);
    assert.equal((await wharf.request('GET', places.east.app('shop'))).status, 200);
    await wharf.waitForService(places.east.service('shop', 'web'), isRunning);
  });
});
