import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keyString, parseKey, serviceLabel, V2_APP, workloadBaseName } from '../../src/domain/keys.js';
import { statefulPodName, statelessPodName } from '../../src/domain/plan.js';
import { desiredState, KEY, NEW_HASH, planContext } from './fixtures.js';

const V2_KEY = { ...KEY, app: V2_APP, service: 'api' };

describe('service keys and engine names', () => {
  it('a V1 service is <app>-<service> on the engine, a V2 service <service> alone', () => {
    assert.equal(workloadBaseName(KEY), 'shop-web');
    assert.equal(workloadBaseName(V2_KEY), 'api');
    assert.equal(workloadBaseName({ ...V2_KEY, service: 'shop-web' }), workloadBaseName(KEY), 'the clash the store refuses');
  });

  it('pod names start with the engine name', () => {
    assert.equal(statefulPodName(KEY), 'shop-web-0');
    assert.equal(statefulPodName(V2_KEY), 'api-0');
    assert.equal(statelessPodName(desiredState({ key: V2_KEY }), planContext()), `api-${NEW_HASH}-s0001`);
  });

  it('a V2 key survives the work queue\'s string form', () => {
    assert.equal(keyString(V2_KEY), 'local/proj//api');
    assert.deepEqual(parseKey(keyString(V2_KEY)), V2_KEY);
    assert.deepEqual(parseKey(keyString(KEY)), KEY);
    assert.throws(() => parseKey('local/proj/api'), /malformed service key/);
  });

  it('messages name a V2 service without an app', () => {
    assert.equal(serviceLabel(KEY), 'shop/web');
    assert.equal(serviceLabel(V2_KEY), 'api');
  });
});
