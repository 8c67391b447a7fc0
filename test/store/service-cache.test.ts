import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServiceState } from '../../src/domain/service.js';
import { announcement } from '../../src/store/change-listener.js';
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

  it('answers a list from the cache, the very states single reads get, when it has them all', async () => {
    const cache = new ServiceCache();
    const other = { ...key, service: 't' };
    const kept = await cache.read(key, async () => state(1));
    let loads = 0;
    const loadBoth = async () => (loads++, [state(9), { key: other, revision: 1 } as unknown as ServiceState]);
    const first = await cache.readMany([key, other], loadBoth);
    assert.equal(first[0], kept, 'the cached state, not the one loaded again');
    assert.equal(loads, 1);
    const second = await cache.readMany([key, other], loadBoth);
    assert.deepEqual(second, first);
    assert.equal(second[1], first[1], 'the loaded state was kept');
    assert.equal(loads, 1, 'nothing loaded when every state is cached');
    cache.written([other]);
    let asked: unknown;
    const again = await cache.readMany([key, other], async (missing) => ((asked = missing), [{ key: other, revision: 2 } as unknown as ServiceState]));
    assert.deepEqual(asked, [other], 'only the one written since is loaded');
    assert.deepEqual(again.map((one) => one.revision), [1, 2]);
    assert.equal(again[0], kept);
  });

  it('keeps the keys of a project and of an app until a write to one of their services', async () => {
    const cache = new ServiceCache();
    let loads = 0;
    const load = async () => (loads++, [key]);
    const project = { region: 'r', project: 'p' };
    const app = { ...project, app: 'a' };
    await cache.readKeys(project, load);
    await cache.readKeys(app, load);
    await cache.readKeys(project, load);
    await cache.readKeys(app, load);
    assert.equal(loads, 2, 'each read once');
    cache.written([{ ...key, project: 'elsewhere' }]);
    await cache.readKeys(project, load);
    assert.equal(loads, 2, 'another project\'s write changes nothing here');
    cache.written([{ ...key, service: 'new' }]);
    await cache.readKeys(project, load);
    await cache.readKeys(app, load);
    assert.equal(loads, 4, 'a service created in the app: both read again');
  });

  it('keeps in a list a cached service whose entry a write dropped while the others were loaded', async () => {
    const cache = new ServiceCache();
    const other = { ...key, service: 't' };
    const kept = await cache.read(key, async () => state(1));
    const list = await cache.readMany([key, other], async () => {
      cache.written([key]);
      return [{ key: other, revision: 1 } as unknown as ServiceState];
    });
    assert.deepEqual(list.map((one) => one.key.service), ['s', 't']);
    assert.equal(list[0], kept);
  });

  it('leaves out of a list a service deleted while it was read', async () => {
    const cache = new ServiceCache();
    const other = { ...key, service: 't' };
    assert.deepEqual((await cache.readMany([key, other], async () => [state(1)])).map((one) => one.key), [key]);
  });

  it('does not remember that a service is missing', async () => {
    const cache = new ServiceCache();
    assert.equal(await cache.read(key, async () => undefined), undefined);
    assert.equal((await cache.read(key, async () => state(1)))?.revision, 1);
  });

  it('loads everything again once cleared (a change feed that may have missed a write)', async () => {
    const cache = new ServiceCache();
    await cache.read(key, async () => state(1));
    cache.clear();
    assert.equal((await cache.read(key, async () => state(2)))?.revision, 2);
  });

  it('keeps nothing while untrusted (other replicas\' writes unseen), and caches again once trusted', async () => {
    const cache = new ServiceCache();
    await cache.read(key, async () => state(1));
    cache.trust(false);
    assert.equal((await cache.read(key, async () => state(2)))?.revision, 2);
    assert.equal((await cache.read(key, async () => state(3)))?.revision, 3, 'untrusted: every read loads');
    cache.trust(true);
    await cache.read(key, async () => state(4));
    assert.equal((await cache.read(key, async () => state(5)))?.revision, 4, 'trusted again: served from the cache');
  });
});

describe('change-feed announcements', () => {
  it('carry the keys, or "everything" when they would not fit in one PostgreSQL notification', () => {
    const keys = (count: number) => Array.from({ length: count }, (_, index) => ({ ...key, service: `service-${index}` }));
    assert.deepEqual(JSON.parse(announcement('me', keys(2), [])), { origin: 'me', changed: keys(2), resources: [] });
    const many = announcement('me', keys(500), []);
    assert.ok(Buffer.byteLength(many) < 8000, `under PostgreSQL's payload limit: ${Buffer.byteLength(many)} bytes`);
    assert.deepEqual(JSON.parse(many), { origin: 'me', changed: [], resources: [], all: true });
  });
});
