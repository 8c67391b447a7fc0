// A load in a process of its own, for the load beside the one measured (bench/api.ts): reading 8
// streams of 1.7 MB keeps an event loop busy, and in the bench process the measured read's answers
// would wait behind them there rather than in the server. GET LOAD_URL with LOAD_HEADERS (JSON) on
// LOAD_CONNECTIONS connections; prints "loading" with the first answer and runs until SIGTERM; exits
// 1 if any answer was not a success.
import autocannon from 'autocannon';

const url = process.env.LOAD_URL;
if (!url) throw new Error('LOAD_URL must name what to load');
const headers = JSON.parse(process.env.LOAD_HEADERS ?? '{}') as Record<string, string>;
const connections = Number(process.env.LOAD_CONNECTIONS ?? 1);
// An hour: the bench stops it long before.
const instance = autocannon({ url, headers, connections, duration: 3600, sampleInt: 100 }, (error, result) => {
  if (error) throw error;
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    process.stderr.write(`GET ${url}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts\n`);
    process.exitCode = 1;
  }
});
instance.once('response', () => process.stdout.write('loading\n'));
process.once('SIGTERM', () => instance.stop());
