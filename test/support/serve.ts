// `wharf serve` from source, for tests that run Wharf as a child process (and kill it).
import { main } from '../../src/cli/main.js';

await main(process.argv.slice(2));
