import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkConfigMapData, configMapDigest, MAX_CONFIGMAP_BYTES, podTemplateHash } from '../../src/domain/configmaps.js';
import { WharfError } from '../../src/domain/errors.js';
import { desiredState } from './fixtures.js';

const reading = desiredState({
  containers: [{
    name: 'main', image: 'app:1', workingDir: '', command: [], args: [], volumeMounts: [],
    configs: [{ configMapName: 'files', mountPath: '/etc/app' }],
    envs: [{ type: 'configMap', name: 'MODE', value: 'settings.mode' }],
  }],
});

describe('ConfigMap rules', () => {
  it('refuses more than 1 MiB of keys and values, and keys that would name a directory', () => {
    checkConfigMapData({ a: 'x'.repeat(MAX_CONFIGMAP_BYTES - 1) });
    assert.throws(() => checkConfigMapData({ a: 'x'.repeat(MAX_CONFIGMAP_BYTES), b: '' }), (error: WharfError) => error.code === 'InvalidArgs' && /data/.test(error.message));
    assert.throws(() => checkConfigMapData({ '..': 'x' }), /data key "\.\."/);
  });

  it('digests the data whatever the key order', () => {
    assert.equal(configMapDigest({ a: '1', b: '2' }), configMapDigest({ b: '2', a: '1' }));
    assert.notEqual(configMapDigest({ a: '1' }), configMapDigest({ a: '2' }));
  });
});

describe('podTemplateHash', () => {
  it('is the template hash for a service that reads no ConfigMap', () => {
    assert.equal(podTemplateHash(desiredState(), new Map([['files', 'd1']])), desiredState().templateHash);
  });

  it('changes when a ConfigMap the service reads appears or changes, not when another one does', () => {
    const missing = podTemplateHash(reading, new Map());
    const present = podTemplateHash(reading, new Map([['files', 'd1'], ['settings', 's1']]));
    const changed = podTemplateHash(reading, new Map([['files', 'd2'], ['settings', 's1']]));
    const unrelated = podTemplateHash(reading, new Map([['files', 'd1'], ['settings', 's1'], ['other', 'o1']]));
    assert.equal(new Set([missing, present, changed]).size, 3);
    assert.equal(unrelated, present);
    assert.notEqual(present, reading.templateHash);
  });
});
