import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StreamDemux } from '../../../src/runtime/docker/multiplexed-stream.js';

function dockerFrame(stream: number, text: string | Buffer): Buffer {
  const payload = typeof text === 'string' ? Buffer.from(text) : text;
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

async function collect(demux: StreamDemux): Promise<{ stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  demux.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  demux.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await Promise.all([new Promise((resolve) => demux.stdout.once('end', resolve)), new Promise((resolve) => demux.stderr.once('end', resolve))]);
  return { stdout, stderr };
}

describe('Docker\'s multiplexed stream, split', () => {
  it('routes frames by their stream byte, across any chunk boundary', async () => {
    const whole = Buffer.concat([dockerFrame(1, 'out one\n'), dockerFrame(2, 'err\n'), dockerFrame(1, ''), dockerFrame(1, 'out two\n')]);
    const demux = new StreamDemux();
    const output = collect(demux);
    // One byte at a time: every header and payload split.
    for (const byte of whole) demux.write(Buffer.from([byte]));
    demux.end();
    assert.deepEqual(await output, { stdout: 'out one\nout two\n', stderr: 'err\n' });
  });

  it('holds its writer while a reader does not read (back-pressure)', async () => {
    const demux = new StreamDemux();
    const big = Buffer.alloc(64 * 1024, 0x61);
    let accepted = 0;
    for (let i = 0; i < 16; i++) if (demux.write(dockerFrame(1, big))) accepted++;
    // Nobody reads stdout: the first frame fills its buffer and the writer is told to wait.
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(demux.writableNeedDrain, 'the demultiplexer asks its writer to wait');
    assert.ok(demux.stdout.readableLength <= 2 * big.length, `stdout holds what one write gave it, not all 1 MiB: ${demux.stdout.readableLength}`);
    assert.ok(accepted < 16, 'not every write was accepted at once');
    let read = 0;
    demux.stdout.on('data', (chunk: Buffer) => (read += chunk.length));
    demux.stderr.resume();
    demux.end();
    await new Promise((resolve) => demux.stdout.once('end', resolve));
    assert.equal(read, 16 * big.length);
  });
});
