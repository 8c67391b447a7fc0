#!/usr/bin/env node
// The compiled CLI; `npm start` (or `npm run build`) produces dist/.
import { run } from '../dist/cli/main.js';

process.exitCode = await run(process.argv.slice(2));
