// The `wharf` command line from source, for tests that run it as a process (bin/wharf.js runs the build).
import { run } from '../../src/cli/main.js';

process.exitCode = await run(process.argv.slice(2));
