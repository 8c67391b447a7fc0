import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { createWharf, type Wharf } from '../../src/wharf.js';
import { apiPaths, authHeaders, TEST_ADMIN_TOKEN } from '../support/api.js';

describe('request log lines', () => {
  let wharf: Wharf;
  let dataDir: string;
  const lines: Array<{ level: number; msg: string; req?: { method: string; url: string } }> = [];

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-request-log-'));
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().trim().split('\n').map((line) => JSON.parse(line)));
        done();
      },
    });
    const config = { ...loadConfig({ WHARF_DATA_DIR: dataDir, WHARF_RUNTIME: 'simulated' }), adminToken: TEST_ADMIN_TOKEN };
    wharf = await createWharf(config, { logger: pino({ level: 'info' }, sink) });
  });
  after(async () => {
    await wharf.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const send = (method: 'GET' | 'POST', url: string, payload?: object) =>
    wharf.api.inject({ method, url, headers: authHeaders({ token: TEST_ADMIN_TOKEN }), ...(payload ? { payload } : {}) });
  const requestLines = () => lines.filter((line) => line.msg === 'incoming request' || line.msg === 'request completed');

  it('keeps reads out of the info log, and logs every write', async () => {
    lines.length = 0;
    assert.equal((await send('GET', '/healthz')).statusCode, 200);
    assert.equal((await send('GET', apiPaths().apps)).statusCode, 200);
    assert.deepEqual(requestLines(), [], 'GETs are logged at debug only');
    assert.equal((await send('POST', apiPaths().apps, { name: 'shop' })).statusCode, 201);
    assert.deepEqual(requestLines().map((line) => [line.level, line.msg]), [[30, 'incoming request'], [30, 'request completed']]);
  });
});
