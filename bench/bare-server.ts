// The floor for the API benchmark: a bare Fastify route answering a fixed JSON body.
// Run as a child process so it is measured under the same conditions as Wharf.
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const file = process.env.BARE_BODY_FILE;
const body = JSON.parse(file ? readFileSync(file, 'utf8') : '{}') as unknown;
const api = Fastify({ logger: false });
api.get('/bare', async () => body);
const address = await api.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${address}\n`);
