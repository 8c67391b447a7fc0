#!/usr/bin/env node
// The compiled CLI; `npm start` (or `npm run build`) produces dist/.
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
