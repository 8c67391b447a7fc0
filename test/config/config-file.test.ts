import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';

function withConfig(yaml: string, check: (path: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-config-'));
  try {
    const path = join(dir, 'wharf.yaml');
    writeFileSync(path, yaml);
    check(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the config file', () => {
  it('has one default volume size, the region\'s defaultVolumeSizeGi, and says so to a config that names the old one', () => {
    withConfig('regions:\n  - name: c1\n    runtime: kubernetes\n    defaultVolumeSizeGi: 25\n', (path) => {
      assert.equal(loadConfig({}, path).regions[0]!.defaultVolumeSizeGi, 25);
    });
    withConfig('regions:\n  - name: c1\n    runtime: kubernetes\n    kubernetes:\n      defaultVolumeSize: 20Gi\n', (path) => {
      assert.throws(() => loadConfig({}, path), /region "c1": kubernetes.defaultVolumeSize is gone; set the region's defaultVolumeSizeGi \(GiB\) instead/);
    });
  });

  it('the deployment manifest\'s config loads', () => {
    const manifest = readFileSync(join(import.meta.dirname, '../../deploy/kubernetes/common/config.yaml'), 'utf8');
    const embedded = /wharf\.yaml: \|\n((?: {4,}.*\n?)+)/.exec(manifest)?.[1];
    assert.ok(embedded, 'deploy/kubernetes/common/config.yaml embeds wharf.yaml');
    const yaml = embedded.split('\n').map((line) => line.slice(4)).join('\n');
    withConfig(yaml, (path) => assert.equal(loadConfig({}, path).regions[0]!.runtime, 'kubernetes'));
  });
});
