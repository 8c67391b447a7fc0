// `npm start`'s build: compiles only when a source or build setting is newer than the last build,
// so an unchanged tree starts at once (tsc alone takes seconds to find nothing to do).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';

const BUILD_INFO = 'dist/.tsbuildinfo';

function newestChange(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((entry) => newestChange(join(path, entry))));
}

function lastBuild() {
  try {
    return statSync(BUILD_INFO).mtimeMs;
  } catch {
    return -1;
  }
}

const sources = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];
if (Math.max(...sources.map(newestChange)) > lastBuild()) {
  const result = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
  // tsc leaves the file alone when a touched source compiles to the same output: mark the build done.
  const now = new Date();
  utimesSync(BUILD_INFO, now, now);
}
