import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ManifestError, parseManifest, readManifest } from '../../src/cli/manifest.js';

const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples');

/** The problems parseManifest reports for `text`, as `line: message`. */
function problems(text: string): string[] {
  try {
    parseManifest(text, 'app.yaml');
  } catch (error) {
    assert.ok(error instanceof ManifestError, `a ManifestError, got ${String(error)}`);
    assert.equal(error.message, error.problems.map((problem) => `app.yaml${problem.line === undefined ? '' : `:${problem.line}`}: ${problem.message}`).join('\n'));
    return error.problems.map((problem) => `${problem.line}: ${problem.message}`);
  }
  assert.fail('the manifest was accepted');
}

const SERVICE = ['app:', '  name: shop', '  microservices:', '    - name: web', '      type: stateless', '      resourceSpec: 1U1G', '      containers:'];

describe('wharf apply manifests: the API create bodies of an app, its services, ConfigMaps and volumes, checked with the server schemas', () => {
  it("reads the seed's two examples as the API's create bodies", () => {
    const stateless = readManifest(join(EXAMPLES, 'stateless.yaml'));
    assert.deepEqual(stateless.configMaps, [{ name: 'cm', data: { key1: 'value1' } }]);
    assert.equal(stateless.app.name, 'app0');
    assert.deepEqual(stateless.app.microservices?.[0]?.containers[0]?.envs, [
      { type: 'configMap', name: 'ENV1', value: 'cm.key1' },
      { name: 'ENV2', value: 'test' },
    ]);
    const stateful = readManifest(join(EXAMPLES, 'stateful.yaml'));
    assert.deepEqual(stateful.volumes, [{ name: 'ceph-name', size: 10 }]);
    assert.deepEqual(stateful.app.microservices?.[0]?.containers[0]?.volumeMounts, [{ volumeName: 'ceph-name', readOnly: false, mountPath: '/mnt/test' }]);
  });

  it('reads a body as the server does: null is absent, output-only fields are dropped', () => {
    const manifest = parseManifest([...SERVICE, '        - image: nginx', '          workingDir:', '      status: { phase: running }', '      revision: 3'].join('\n'), 'app.yaml');
    assert.deepEqual(manifest.app.microservices?.[0], { name: 'web', type: 'stateless', resourceSpec: '1U1G', containers: [{ image: 'nginx' }] });
  });

  it('names the line and the field of each problem, in the API words, a misspelled field as such', () => {
    const text = [
      'project: Shop',
      'configMaps:',
      '  - name: cm',
      '    data: { "a b": x }',
      ...SERVICE.slice(0, 4),
      '      type: stateles',
      '      resourceSpec: 1U1G',
      '      containers:',
      '        - imgae: nginx',
      '        - image: nginx',
      '          workingDir: relative',
    ].join('\n');
    assert.deepEqual(problems(text), [
      '1: project must be lowercase letters, digits and "-", starting with a letter and not ending with "-"',
      '4: configMaps[0].data.a b must be letters, digits, "-", "_" and "."',
      '9: app.microservices[0].type must be one of "stateful", "stateless"',
      '12: app.microservices[0].containers[0].image is required (did you mean "imgae"?)',
      '12: app.microservices[0].containers[0].imgae is not a known field',
      '14: app.microservices[0].containers[1].workingDir must be "" or be an absolute path, starting with "/"',
    ]);
  });

  it('refuses what no single request schema says: a name twice in the file, an app named otherwise in a service', () => {
    const twice = [...SERVICE, '        - image: nginx', '    - name: web', '      appName: other', '      type: stateless', '      resourceSpec: 1U1G', '      containers: [{ image: nginx }]'];
    assert.deepEqual(problems(twice.join('\n')), [
      '9: app.microservices[1].name "web" is already app.microservices[0]\'s',
      '10: app.microservices[1].appName "other" differs from app.name "shop"',
    ]);
    assert.deepEqual(problems(['project: p', 'app:', '  name: shop', '  projectName: q'].join('\n')), ['4: app.projectName "q" differs from project "p"']);
  });

  it('refuses a file that is not YAML, or not a mapping with an app', () => {
    assert.deepEqual(problems('app: [\n'), ['2: Flow sequence in block collection must be sufficiently indented and end with a ]']);
    assert.deepEqual(problems('- a\n'), ['1: the file must be a mapping with app: (and optionally project:, configMaps:, volumes:)']);
    assert.deepEqual(problems('configMaps: []\n'), ['1: app is required']);
  });
});
