import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = join(import.meta.dirname, '../..');
const build = () => spawnSync(process.execPath, ['scripts/build-if-changed.js'], { cwd: ROOT, encoding: 'utf8' });
const builtAt = () => statSync(join(ROOT, 'dist/.tsbuildinfo')).mtimeMs;

describe('npm start\'s build', () => {
  it('compiles when the tree changed since the last build, and not again when it did not', () => {
    assert.equal(build().status, 0, 'the first build succeeds (or finds the tree built)');
    const first = builtAt();
    const again = build();
    assert.equal(again.status, 0);
    assert.equal(builtAt(), first, 'an unchanged tree is not compiled again');
  });
});
