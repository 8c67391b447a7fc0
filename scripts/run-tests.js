// Runs every test/**/*.test.ts with Node's own test runner (TypeScript through tsx).
// Node 20's runner takes no glob, so the files are listed here.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

const only = process.argv.slice(2);
// A test that hangs fails after 3 minutes instead of holding CI until its limit; the chaos test,
// which starts a dozen servers, is given longer (WHARF_TEST_TIMEOUT_MS, in .ci/run).
const timeoutMs = Number(process.env.WHARF_TEST_TIMEOUT_MS ?? 180_000);
const files = only.length > 0 ? only : testFiles('test').sort();
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', `--test-timeout=${timeoutMs}`, '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
