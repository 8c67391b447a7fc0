import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { DEFAULT_EVENT_RETENTION } from '../../src/store/events.js';

function configFile(yaml: string): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-config-'));
  const path = join(dir, 'wharf.yaml');
  writeFileSync(path, yaml);
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

describe('how many events are kept, and how long', () => {
  it('100 per service for 24 hours unless configured', () => {
    assert.deepEqual(loadConfig({}).events, { maxPerService: 100, maxAgeSeconds: 86_400 });
    assert.deepEqual(loadConfig({}).events, DEFAULT_EVENT_RETENTION);
  });

  it('from the config file, the environment winning', () => {
    const file = configFile('events:\n  maxPerService: 500\n  maxAgeSeconds: 3600\n');
    try {
      assert.deepEqual(loadConfig({}, file.path).events, { maxPerService: 500, maxAgeSeconds: 3600 });
      assert.deepEqual(loadConfig({ WHARF_EVENTS_MAX_PER_SERVICE: '20' }, file.path).events, { maxPerService: 20, maxAgeSeconds: 3600 });
      assert.deepEqual(loadConfig({ WHARF_EVENTS_MAX_AGE_SECONDS: '600' }, file.path).events, { maxPerService: 500, maxAgeSeconds: 600 });
    } finally {
      file.remove();
    }
  });

  it('refuses a setting out of range, naming it', () => {
    assert.throws(() => loadConfig({ WHARF_EVENTS_MAX_PER_SERVICE: '0' }), /WHARF_EVENTS_MAX_PER_SERVICE must be a whole number 1\.\.10000, got "0"/);
    assert.throws(() => loadConfig({ WHARF_EVENTS_MAX_AGE_SECONDS: '1.5' }), /WHARF_EVENTS_MAX_AGE_SECONDS must be a whole number 60\.\./);
    const file = configFile('events:\n  maxAgeSeconds: 5\n');
    try {
      assert.throws(() => loadConfig({}, file.path), /\/events\/maxAgeSeconds/);
    } finally {
      file.remove();
    }
  });
});
