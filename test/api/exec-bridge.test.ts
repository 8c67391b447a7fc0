import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { Readable, Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import WebSocket, { WebSocketServer } from 'ws';
import { bridgeExec } from '../../src/api/exec-bridge.js';
import { V5_PROTOCOL } from '../../src/domain/remotecommand.js';
import type { ExecSession } from '../../src/runtime/exec.js';
import { eventually } from '../support/api.js';

const CHUNK = 32 * 1024;
const TOTAL = 64 * 1024 * 1024;
const LIMITS = { high: 64 * 1024, low: 16 * 1024 };

/** A command that writes TOTAL bytes as fast as it is read, counting what it produced. */
function fastWriter(): ExecSession & { produced: () => number; closed: () => boolean } {
  let produced = 0;
  let closed = false;
  const stdout = new Readable({
    read() {
      if (produced >= TOTAL) return void this.push(null);
      produced += CHUNK;
      this.push(Buffer.alloc(CHUNK, 0x79));
    },
  });
  const ending = new Promise<{ exitCode: number }>((resolve) => stdout.once('end', () => resolve({ exitCode: 0 })));
  return { stdin: undefined, stdout, stderr: undefined, resize: async () => {}, ending, close: () => (closed = true), produced: () => produced, closed: () => closed };
}

describe('the exec bridge between a WebSocket and an engine session', () => {
  let server: WebSocketServer;
  let url: string;
  let next: ExecSession;
  let accepted: WebSocket | undefined;

  before(async () => {
    server = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => V5_PROTOCOL });
    await new Promise((resolve) => server.once('listening', resolve));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    server.on('connection', (socket) => {
      accepted = socket;
      bridgeExec(socket, next, ['yes'], pino({ level: 'silent' }), LIMITS);
    });
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('pauses the engine\'s output while the client does not read, and delivers all of it once it does', async () => {
    const session = fastWriter();
    next = session;
    const client = new WebSocket(url, [V5_PROTOCOL]);
    let received = 0;
    let status = '';
    client.on('message', (data: Buffer) => {
      if (data[0] === 1) received += data.length - 1;
      if (data[0] === 3) status = data.subarray(1).toString();
    });
    await new Promise((resolve) => client.once('open', resolve));
    client.pause();

    // The output stops being produced: what the socket buffers hold, not the whole 64 MiB.
    let last = -1;
    await eventually(async () => {
      const now = session.produced();
      const stalled = now === last;
      last = now;
      await new Promise((resolve) => setTimeout(resolve, 200));
      return stalled;
    }, (stalled) => stalled, 30_000);
    assert.ok(session.produced() < TOTAL / 2, `the writer was held back at ${session.produced()} of ${TOTAL} bytes`);
    assert.ok(session.stdout!.isPaused(), 'the engine\'s stream is paused');

    client.resume();
    await new Promise((resolve) => client.once('close', resolve));
    assert.equal(received, TOTAL, 'every byte arrives once the client reads');
    assert.deepEqual(JSON.parse(status), { metadata: {}, status: 'Success' });
  });

  it('stops reading the client while the command does not read its stdin, and passes all of it on, then its close', async () => {
    const held: Array<() => void> = [];
    let written = 0;
    const stdin = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, callback) {
        written += chunk.length;
        held.push(callback);
      },
    });
    const ending = new Promise<{ exitCode: number }>((resolve) => stdin.once('finish', () => resolve({ exitCode: 0 })));
    next = { stdin, stdout: undefined, stderr: undefined, resize: async () => {}, ending, close: () => {} };
    const client = new WebSocket(url, [V5_PROTOCOL]);
    await new Promise((resolve) => client.once('open', resolve));
    const serverSide = accepted!;
    const status = new Promise<void>((resolve) => client.on('message', (data: Buffer) => data[0] === 3 && resolve()));
    const frames = 64;
    for (let i = 0; i < frames; i++) client.send(Buffer.concat([Buffer.from([0]), Buffer.alloc(4096, 0x61)]));
    client.send(Buffer.from([255, 0]));
    await eventually(async () => accepted?.isPaused === true, (paused) => paused, 10_000);
    assert.ok(written < frames * 4096, `the command was not handed everything at once: ${written}`);
    // The command reads: one held write after another is released, until stdin is closed.
    const release = setInterval(() => held.splice(0).forEach((callback) => callback()), 5);
    try {
      await status;
    } finally {
      clearInterval(release);
    }
    assert.equal(written, frames * 4096, 'every byte of stdin reached the command');
    // An ending stdin emits no 'drain': had the server stayed paused, it would not read the client's half of the close.
    assert.equal(serverSide.isPaused, false, 'the server reads the client again once stdin is closed');
    await new Promise((resolve) => client.once('close', resolve));
  });

  it('closes the engine\'s session when the client goes', async () => {
    const session = fastWriter();
    next = session;
    const client = new WebSocket(url, [V5_PROTOCOL]);
    await new Promise((resolve) => client.once('open', resolve));
    client.pause();
    client.terminate();
    await eventually(async () => session.closed(), (closed) => closed, 10_000);
  });
});
