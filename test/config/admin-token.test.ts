import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ADMIN_TOKEN_FILE, adminToken } from '../../src/admin-token.js';
import { startServerProcess } from '../support/server-process.js';

describe('the admin token', () => {
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-admin-token-'));
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('is generated once into <dataDir>/admin-token, mode 0600, announced once, then reused', () => {
    const dir = join(dataDir, 'unit');
    const announced: string[] = [];
    const first = adminToken(undefined, dir, (token) => announced.push(token));
    const file = join(dir, ADMIN_TOKEN_FILE);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(readFileSync(file, 'utf8').trim(), first);
    assert.match(first, /^wharf_admin_[A-Za-z0-9_-]{43}$/);
    assert.equal(adminToken(undefined, dir, (token) => announced.push(token)), first);
    assert.deepEqual(announced, [first]);
  });

  it('is WHARF_ADMIN_TOKEN when set, with no file written', () => {
    const dir = join(dataDir, 'configured');
    assert.equal(adminToken('the-configured-admin-token', dir, () => assert.fail('nothing to announce')), 'the-configured-admin-token');
    assert.throws(() => statSync(join(dir, ADMIN_TOKEN_FILE)), { code: 'ENOENT' });
  });

  it('`wharf serve` without WHARF_ADMIN_TOKEN prints a new token once, and a restart takes it from the file', async () => {
    const dir = join(dataDir, 'served');
    mkdirSync(dir);
    const first = await startServerProcess(dir, { WHARF_ADMIN_TOKEN: undefined });
    let token: string;
    try {
      token = readFileSync(join(dir, ADMIN_TOKEN_FILE), 'utf8').trim();
      assert.equal(statSync(join(dir, ADMIN_TOKEN_FILE)).mode & 0o777, 0o600);
      assert.ok(first.output().includes(`\n  ${token}\n`), `the token is printed to stderr:\n${first.output()}`);
      assert.match(first.output(), /"level":40.*"msg":"generated the admin token; it is printed once on stderr and kept in the file"/, 'and announced at warn');
      const logLines = first.output().split('\n').filter((line) => line.startsWith('{'));
      assert.ok(logLines.length > 0 && logLines.every((line) => !line.includes(token)), 'but never written into a log line');
      assert.equal((await first.request('GET', '/v1/regions', undefined, { token })).status, 200);
      assert.equal((await first.request('GET', '/v1/regions', undefined, 'none')).status, 401);
    } finally {
      first.child.kill('SIGKILL');
      await first.exited;
    }

    const second = await startServerProcess(dir, { WHARF_ADMIN_TOKEN: undefined });
    try {
      assert.equal((await second.request('GET', '/v1/tokens', undefined, { token })).status, 200);
      assert.ok(!second.output().includes(token), 'a restart does not print the token again');
    } finally {
      second.child.kill('SIGKILL');
      await second.exited;
    }
  });
});
