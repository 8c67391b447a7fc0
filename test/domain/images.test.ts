import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WharfError } from '../../src/domain/errors.js';
import { checkImage, parseImageReference } from '../../src/domain/images.js';

function refusal(image: string, allowed?: string[]): string {
  try {
    checkImage(image, allowed, 'containers[0].image');
  } catch (error) {
    assert.ok(error instanceof WharfError && error.code === 'InvalidArgs', `${image}: ${String(error)}`);
    return error.message;
  }
  return '';
}

describe('image references', () => {
  it('reads the registry the way the engines do', () => {
    assert.deepEqual(parseImageReference('nginx:1'), { registry: 'docker.io', host: 'docker.io', repository: 'nginx' });
    assert.deepEqual(parseImageReference('library/nginx'), { registry: 'docker.io', host: 'docker.io', repository: 'library/nginx' });
    assert.deepEqual(parseImageReference('reg.qiniu.com/library/alpine:latest'), { registry: 'reg.qiniu.com', host: 'reg.qiniu.com', repository: 'library/alpine' });
    assert.deepEqual(parseImageReference('localhost/app'), { registry: 'localhost', host: 'localhost', repository: 'app' });
    assert.deepEqual(parseImageReference('Reg.Example.com:5000/a/b:v1'), { registry: 'Reg.Example.com:5000', host: 'reg.example.com', repository: 'a/b' });
    assert.deepEqual(parseImageReference('[::1]:5000/app@sha256:' + 'f'.repeat(64)), { registry: '[::1]:5000', host: '::1', repository: 'app' });
    // No dot, port or "localhost" before the first slash: a Docker Hub namespace, not a registry.
    assert.equal((parseImageReference('team/app') as { registry: string }).registry, 'docker.io');
  });

  it('explains what is wrong with a malformed reference', () => {
    assert.match(refusal('Wharf-Bars/BusyBox:1'), /repository path must be lowercase/);
    assert.match(refusal('app:'), /tag/);
    assert.match(refusal('app@sha256:1234'), /digest/);
    assert.match(refusal('reg.example.com:http/app'), /registry "reg.example.com:http"/);
    assert.match(refusal('a//b'), /repository path/);
  });

  it('refuses loopback, private and link-local registries by default, naming the rule', () => {
    for (const image of ['127.0.0.1:28999/evil/img:1', 'localhost:5000/app', 'registry.localhost/app', '10.0.0.8/app', '100.64.1.1/app', '[fd00::1]/app', '[::ffff:10.0.0.1]/app']) {
      assert.match(refusal(image), /allowedRegistries/, image);
    }
    for (const image of ['nginx', 'reg.qiniu.com/library/alpine:latest', '8.8.8.8/app', '[2001:db8::1]:5000/app']) {
      assert.equal(refusal(image), '', image);
    }
  });

  it('with allowedRegistries, takes only the registries listed, internal ones included', () => {
    const allowed = ['docker.io', '127.0.0.1:5000', '*.corp.example'];
    for (const image of ['nginx:1', '127.0.0.1:5000/app', 'reg.corp.example/app', 'a.b.corp.example:443/app']) assert.equal(refusal(image, allowed), '', image);
    for (const image of ['quay.io/app', '127.0.0.1:5001/app', 'corp.example/app', 'evilcorp.example/app']) {
      assert.match(refusal(image, allowed), /which this region does not allow \(allowedRegistries: docker.io, 127.0.0.1:5000, \*.corp.example\)/, image);
    }
  });
});
