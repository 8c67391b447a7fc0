import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { migrations } from '../../src/store/migrations.js';

describe('store migrations', () => {
  it('are written in the order they run (Kysely runs them by name)', () => {
    const names = Object.keys(migrations);
    assert.deepEqual(names, [...names].sort());
    assert.deepEqual(names.map((name) => name.slice(0, 4)), names.map((_, index) => String(index + 1).padStart(4, '0')), 'numbered 0001, 0002, … without a gap');
  });
});
