import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { LastLines, LineSplitter, sinceOf } from '../../src/runtime/logs.js';

async function through(stream: NodeJS.ReadWriteStream, chunks: string[]): Promise<string[]> {
  const out: string[] = [];
  Readable.from(chunks.map((chunk) => Buffer.from(chunk))).pipe(stream);
  for await (const chunk of stream as unknown as Readable) out.push(String(chunk));
  return out;
}

describe('log lines', () => {
  it('LineSplitter sends whole lines only, each through its mapping, and ends a last line without a newline', async () => {
    const chunks = await through(new LineSplitter((line) => Buffer.concat([Buffer.from('> '), line])), ['a', 'b\nc', '\nd\ne', 'f']);
    assert.equal(chunks.join(''), '> ab\n> c\n> d\n> ef\n');
    for (const chunk of chunks) assert.ok(chunk.endsWith('\n'), `a chunk of whole lines: ${JSON.stringify(chunk)}`);
  });

  it('LineSplitter cuts a line that never ends at 64 KiB instead of holding it', async () => {
    const chunks = await through(new LineSplitter(), ['x'.repeat(64 * 1024 + 10)]);
    assert.deepEqual(chunks.join('').split('\n').map((line) => line.length), [64 * 1024, 10, 0]);
  });

  it('LastLines keeps the last n lines, whatever the chunks', async () => {
    assert.equal((await through(new LastLines(2), ['1\n2', '\n3\n', '4'])).join(''), '3\n4\n');
    assert.equal((await through(new LastLines(0), ['1\n2\n'])).join(''), '');
    assert.equal((await through(new LastLines(5), ['1\n'])).join(''), '1\n');
    const many = Array.from({ length: 5000 }, (_, index) => `${index}\n`);
    assert.equal((await through(new LastLines(3), many)).join(''), '4997\n4998\n4999\n');
  });

  it('sinceOf: sinceSeconds back from now, or sinceTime', () => {
    assert.equal(sinceOf({ sinceSeconds: 10 }, 100_000), 90_000);
    assert.equal(sinceOf({ sinceTime: '2026-01-01T00:00:00Z' }), Date.parse('2026-01-01T00:00:00Z'));
    assert.equal(sinceOf({}), undefined);
  });
});
