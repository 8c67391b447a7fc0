import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';

const REFUSAL = /WHARF_AUTH=off is only allowed on a loopback address, but HOST is "([^"]+)"/;

describe('WHARF_AUTH and WHARF_ADMIN_TOKEN in the configuration', () => {
  it('keeps authentication on unless WHARF_AUTH=off', () => {
    assert.equal(loadConfig({}).auth, 'on');
    assert.equal(loadConfig({ WHARF_AUTH: 'on', HOST: '0.0.0.0' }).auth, 'on');
    assert.throws(() => loadConfig({ WHARF_AUTH: 'no' }), /WHARF_AUTH must be "on" or "off", got "no"/);
  });

  it('accepts WHARF_AUTH=off on every loopback address', () => {
    for (const host of [undefined, '127.0.0.1', '127.1.2.3', '::1', 'localhost']) {
      const env = host === undefined ? { WHARF_AUTH: 'off' } : { WHARF_AUTH: 'off', HOST: host };
      assert.equal(loadConfig(env).auth, 'off', `HOST ${host ?? '(default)'}`);
    }
  });

  it('refuses WHARF_AUTH=off on any other address, naming WHARF_AUTH and HOST', () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'wharf.example.com', '128.0.0.1', '::ffff:10.0.0.1']) {
      assert.throws(() => loadConfig({ WHARF_AUTH: 'off', HOST: host }), (error: Error) => {
        assert.equal(REFUSAL.exec(error.message)?.[1], host);
        return true;
      });
    }
  });

  it('refuses WHARF_AUTH=off when the host comes from the config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wharf-config-'));
    try {
      const path = join(dir, 'wharf.yaml');
      writeFileSync(path, 'host: 0.0.0.0\n');
      assert.throws(() => loadConfig({ WHARF_AUTH: 'off' }, path), REFUSAL);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes WHARF_ADMIN_TOKEN, refusing one too short to be a secret', () => {
    assert.equal(loadConfig({}).adminToken, undefined);
    assert.equal(loadConfig({ WHARF_ADMIN_TOKEN: 'a-long-enough-admin-token' }).adminToken, 'a-long-enough-admin-token');
    assert.throws(() => loadConfig({ WHARF_ADMIN_TOKEN: 'short' }), /WHARF_ADMIN_TOKEN must be at least 16 characters/);
  });

  it('`wharf serve` with WHARF_AUTH=off on 0.0.0.0 exits at once with the reason', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wharf-auth-off-'));
    try {
      const result = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'support', 'serve.ts'), 'serve'], {
        env: { ...process.env, WHARF_AUTH: 'off', HOST: '0.0.0.0', PORT: '0', WHARF_DATA_DIR: dataDir, WHARF_RUNTIME: 'simulated' },
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(result.status, 1, result.stderr);
      assert.match(result.stderr, /WHARF_AUTH=off is only allowed on a loopback address, but HOST is "0.0.0.0"/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
