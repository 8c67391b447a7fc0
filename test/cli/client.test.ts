import assert from 'node:assert/strict';
import { setImmediate as turn } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import { WharfClient } from '../../src/cli/client.js';

describe('the CLI client\'s WebSocket', () => {
  // A server that writes as soon as the upgrade is done, as an exec in a simulated pod does: the
  // frame can arrive with the upgrade's answer, before the caller listens.
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  server.on('connection', (socket) => socket.send(Buffer.from('\u0002first words')));
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('holds what the server sent with the upgrade until the caller listens and resumes it', async () => {
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as { port: number };
    const client = new WharfClient({ url: `http://127.0.0.1:${port}`, token: undefined, region: 'local', project: 'proj' });
    const socket = await client.webSocket('/exec', ['v5.channel.k8s.io']);
    // A caller that does more before it listens: a few turns of the loop.
    for (let index = 0; index < 3; index++) await turn();
    const received: string[] = [];
    socket.on('message', (data: Buffer) => received.push(data.toString('utf8')));
    socket.resume();
    for (let wait = 0; wait < 100 && received.length === 0; wait++) await new Promise((resolve) => setTimeout(resolve, 10));
    socket.close();
    assert.deepEqual(received, ['\u0002first words']);
  });
});
