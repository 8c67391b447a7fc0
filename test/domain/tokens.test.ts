import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ADMIN, checkTokenRequest, formatToken, hashSecret, parseToken, secretMatches, whyForbidden, whyRejected, type Principal } from '../../src/domain/tokens.js';

const team: Principal = { admin: false, projects: ['proj'] };
const NOW = new Date('2026-06-01T12:00:00Z');

describe('token rules', () => {
  it('compares a secret with a hash, and an unknown id with a hash no secret has', () => {
    assert.equal(secretMatches('s3cret', hashSecret('s3cret')), true);
    assert.equal(secretMatches('s3cret', hashSecret('other')), false);
    assert.equal(secretMatches('s3cret', undefined), false);
    assert.equal(secretMatches('', undefined), false);
  });

  it('keeps a project\'s quota for the admin', () => {
    const quota = '/regions/:region/v1/projects/:project/quota';
    assert.equal(whyForbidden(team, { method: 'GET', route: quota, project: 'proj' }), undefined);
    assert.match(whyForbidden(team, { method: 'PUT', route: quota, project: 'proj' }) ?? '', /only an admin token/);
    assert.match(whyForbidden(team, { method: 'PUT', route: quota, project: 'other' }) ?? '', /does not cover project "other"/);
  });

  it('lets a project token into its projects and the shared reads only', () => {
    const call = (method: string, route: string | undefined, project?: string) => whyForbidden(team, { method, route, project });
    assert.equal(call('DELETE', '/regions/:region/v1/projects/:project/apps/:app', 'proj'), undefined);
    assert.match(call('GET', '/regions/:region/v1/projects/:project/apps', 'other') ?? '', /does not cover project "other"/);
    assert.equal(call('GET', '/v1/regions'), undefined);
    assert.equal(call('HEAD', '/regions/:region/v1/resourcespecs'), undefined);
    assert.match(call('GET', '/v1/tokens') ?? '', /only an admin token/);
    assert.match(call('POST', '/v1/regions') ?? '', /only an admin token/, 'a shared read is a read only');
    assert.equal(call('GET', undefined), undefined, 'no route matched: the 404 follows');
    assert.equal(whyForbidden(ADMIN, { method: 'DELETE', route: '/v1/tokens/:id', project: undefined }), undefined);
  });

  it('rejects revoked and expired tokens, at the expiry instant included', () => {
    assert.equal(whyRejected({ expiresAt: null, revokedAt: null }, NOW), undefined);
    assert.equal(whyRejected({ expiresAt: '2026-06-01T12:00:01Z', revokedAt: null }, NOW), undefined);
    assert.match(whyRejected({ expiresAt: NOW.toISOString(), revokedAt: null }, NOW) ?? '', /expired/);
    assert.match(whyRejected({ expiresAt: null, revokedAt: '2026-05-01T00:00:00Z' }, NOW) ?? '', /revoked/);
  });

  it('parses only tokens of its own format', () => {
    const secret = 'a'.repeat(42) + '_';
    assert.deepEqual(parseToken(formatToken('0123456789abcdef', secret)), { id: '0123456789abcdef', secret });
    for (const token of ['', 'wharf_0123_abc', `wharf_0123456789ABCDEF_${secret}`, `x${formatToken('0123456789abcdef', secret)}`]) {
      assert.equal(parseToken(token), undefined, token);
    }
  });

  it('normalises the expiry to UTC and refuses one in the past', () => {
    assert.deepEqual(checkTokenRequest({ name: 'x', projects: ['p'], expiresAt: '2026-06-02T00:00:00+08:00' }, NOW), { expiresAt: '2026-06-01T16:00:00.000Z' });
    assert.deepEqual(checkTokenRequest({ name: 'x', projects: [], admin: true }, NOW), { expiresAt: null });
    assert.throws(() => checkTokenRequest({ name: 'x', projects: ['p'], expiresAt: NOW.toISOString() }, NOW), /expiresAt .* not in the future/);
  });
});
