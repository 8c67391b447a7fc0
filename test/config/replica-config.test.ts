import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';

describe("a replica's name and lease", () => {
  it('names a replica uniquely unless WHARF_REPLICA_ID does: two Wharfs of one process never share a name', () => {
    const [one, two] = [loadConfig({}).replica, loadConfig({}).replica];
    assert.notEqual(one, two);
    assert.match(one, new RegExp(`-${process.pid}-[0-9a-f]{4}$`));
    assert.equal(loadConfig({ WHARF_REPLICA_ID: 'wharf-7d9f-x2' }).replica, 'wharf-7d9f-x2');
    assert.throws(() => loadConfig({ WHARF_REPLICA_ID: 'two words' }), /WHARF_REPLICA_ID must be 1 to 128 printable characters without spaces, got "two words"/);
  });

  it("leases last Kubernetes' 15 s unless the file or WHARF_LEASE_DURATION_SECONDS (which wins) says otherwise", () => {
    assert.equal(loadConfig({}).leaseDurationMs, 15_000);
    assert.equal(loadConfig({ WHARF_LEASE_DURATION_SECONDS: '2.5' }).leaseDurationMs, 2500);
    const dir = mkdtempSync(join(tmpdir(), 'wharf-config-'));
    try {
      writeFileSync(join(dir, 'wharf.yaml'), 'leaseDurationSeconds: 30\n');
      assert.equal(loadConfig({}, join(dir, 'wharf.yaml')).leaseDurationMs, 30_000);
      assert.equal(loadConfig({ WHARF_LEASE_DURATION_SECONDS: '5' }, join(dir, 'wharf.yaml')).leaseDurationMs, 5000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.throws(() => loadConfig({ WHARF_LEASE_DURATION_SECONDS: '0.5' }), /WHARF_LEASE_DURATION_SECONDS must be a number of seconds 1\.\.3600, got "0\.5"/);
  });
});
