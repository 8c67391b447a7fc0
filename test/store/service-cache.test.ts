import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServiceState } from '../../src/domain/service.js';
import { ServiceCache } from '../../src/store/service-cache.js';

const key = { region: 'r', project: 'p', app: 'a', service: 's' };
const state = (revision: number) => ({ key, revision }) as unknown as ServiceState;

describe('ServiceCache', () => {
  it('serves a loaded state again without loading', async () => {
    const cache = new ServiceCache();
    let loads = 0;
    const load = async () => (loads++, state(1));
    await cache.read(key, load);
    assert.equal((await cache.read(key, load))?.revision, 1);
    assert.equal(loads, 1);
  });

  it('loads again after a write that touched the service', async () => {
    const cache = new ServiceCache();
    await cache.read(key, async () => state(1));
    cache.written([key]);
    assert.equal((await cache.read(key, async () => state(2)))?.revision, 2);
  });

  it('does not keep a state read while a write committed', async () => {
    const cache = new ServiceCache();
    await cache.read(key, async () => {
      cache.written([]);
      return state(1);
    });
    assert.equal((await cache.read(key, async () => state(2)))?.revision, 2);
  });

  it('does not remember that a service is missing', async () => {
    const cache = new ServiceCache();
    assert.equal(await cache.read(key, async () => undefined), undefined);
    assert.equal((await cache.read(key, async () => state(1)))?.revision, 1);
  });
});
