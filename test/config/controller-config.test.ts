import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';

describe("the controller's resync", () => {
  it('comes every 30 s unless the file or WHARF_CONTROLLER_RESYNC_SECONDS (which wins) says otherwise', () => {
    assert.equal(loadConfig({}).controllerResyncMs, 30_000);
    assert.equal(loadConfig({ WHARF_CONTROLLER_RESYNC_SECONDS: '2' }).controllerResyncMs, 2000);
    const dir = mkdtempSync(join(tmpdir(), 'wharf-config-'));
    try {
      writeFileSync(join(dir, 'wharf.yaml'), 'controllerResyncSeconds: 300\n');
      assert.equal(loadConfig({}, join(dir, 'wharf.yaml')).controllerResyncMs, 300_000);
      assert.equal(loadConfig({ WHARF_CONTROLLER_RESYNC_SECONDS: '5' }, join(dir, 'wharf.yaml')).controllerResyncMs, 5000);
      writeFileSync(join(dir, 'wharf.yaml'), 'controllerResyncSeconds: 0\n');
      assert.throws(() => loadConfig({}, join(dir, 'wharf.yaml')), /\/controllerResyncSeconds/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.throws(() => loadConfig({ WHARF_CONTROLLER_RESYNC_SECONDS: '0.5' }), /WHARF_CONTROLLER_RESYNC_SECONDS must be a whole number 1\.\.3600, got "0\.5"/);
  });
});
