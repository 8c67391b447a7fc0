// The floor for the API benchmark: a bare Fastify server answering fixed JSON bodies, each file
// <name>.json of BARE_BODIES_DIR at GET /<name>. Run as a child process so it is measured under
// the same conditions as Wharf. Each body is kept as an object and serialised on every request,
// as any API must serialise what it answers; the bytes are the same as the file's when the file is
// JSON.stringify's output (api.ts checks that they are).
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import Fastify from 'fastify';

const dir = process.env.BARE_BODIES_DIR;
if (!dir) throw new Error('BARE_BODIES_DIR must name a directory of <name>.json bodies');
const api = Fastify({ logger: false });
for (const file of readdirSync(dir).filter((name) => name.endsWith('.json'))) {
  const body = JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown;
  api.get(`/${basename(file, '.json')}`, async () => body);
}
const address = await api.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${address}\n`);
