import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type Docker from 'dockerode';
import type { ProbeInput } from '../../../src/model/probe.js';
import { normalizeProbe } from '../../../src/domain/probes.js';
import { demuxed, engineProbeRunner } from '../../../src/runtime/docker/probe-runners.js';

// A self-signed certificate for the HTTPS probe (which, like the kubelet's, verifies none).
const KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgFqI0xnn1amwwPxMa
D42Rt/b5hbq2f3CyK8NkWY6V+CKhRANCAAQaZixQk/S8cZp4r+ZNLTTb7z2K3u3Y
04rkOErfWOjod7EzNMmW/VMfL7o2oNvKIqty92aff2UKijA1nsyTVhNf
-----END PRIVATE KEY-----`;
const CERT = `-----BEGIN CERTIFICATE-----
MIIBjjCCATOgAwIBAgIUBNlG/fXWoItq8iUOZLL3Q97EPgEwCgYIKoZIzj0EAwIw
GzEZMBcGA1UEAwwQd2hhcmYtcHJvYmUtdGVzdDAgFw0yNjExMzAwMDQwMzdaGA8y
MTI2MTEwNjAwNDAzN1owGzEZMBcGA1UEAwwQd2hhcmYtcHJvYmUtdGVzdDBZMBMG
ByqGSM49AgEGCCqGSM49AwEHA0IABBpmLFCT9Lxxmniv5k0tNNvvPYre7djTiuQ4
St9Y6Oh3sTM0yZb9Ux8vujag28oiq3L3Zp9/ZQqKMDWezJNWE1+jUzBRMB0GA1Ud
DgQWBBSHQWCI52uXu7OYjWK1pyKp8wGPhTAfBgNVHSMEGDAWgBSHQWCI52uXu7OY
jWK1pyKp8wGPhTAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0kAMEYCIQC+
v1FcZylZwLBuF/hlSbGeex/rN+lbRIjLSRUeGXdgwQIhANkWfoqXdT8qV7tc3DFl
eFOGAWYHbPa1yT7Y+VQHseZG
-----END CERTIFICATE-----`;

const address = { ip: '127.0.0.1', containerId: 'c1' };
const probe = (input: ProbeInput) => normalizeProbe(input);

/** Docker's multiplexed stream framing: stream byte, 3 zero bytes, big-endian size, payload. */
function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** An engine whose exec API answers `output` frames and then `exitCode`, recording the exec asked for. */
function execEngine(output: Buffer, exitCode: number | null, hang = false) {
  const created: unknown[] = [];
  const docker = {
    getContainer: (id: string) => ({
      exec: async (options: unknown) => {
        created.push({ id, options });
        return {
          start: async () => {
            const stream = new PassThrough();
            stream.write(output);
            if (!hang) stream.end();
            return stream;
          },
          inspect: async () => ({ ExitCode: exitCode }),
        };
      },
    }),
  } as unknown as Docker;
  return { docker, created };
}

describe('probe runners: HTTP, TCP, exec', () => {
  const seen: IncomingHttpHeaders[] = [];
  let http: Server;
  let https: Server;
  const port = (server: Server) => (server.address() as AddressInfo).port;
  const handler = (request: import('node:http').IncomingMessage, response: import('node:http').ServerResponse) => {
    seen.push(request.headers);
    if (request.url === '/hang') return; // never answers
    const status = Number(request.url?.slice(1)) || 200;
    response.writeHead(status, status === 302 ? { location: '/elsewhere' } : {});
    response.end('body');
  };
  before(async () => {
    http = createHttpServer(handler);
    https = createHttpsServer({ key: KEY, cert: CERT }, handler);
    await Promise.all([http, https].map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))));
  });
  after(() => {
    http.closeAllConnections();
    https.closeAllConnections();
    http.close();
    https.close();
  });

  const run = engineProbeRunner({} as Docker);

  test('httpGet: 200 to 399 is healthy, anything else is not, with the status', async () => {
    assert.deepEqual(await run(address, probe({ httpGet: { port: port(http), path: '/200' } })), { ok: true, message: 'HTTP 200' });
    assert.deepEqual(await run(address, probe({ httpGet: { port: port(http), path: '/302' } })), { ok: true, message: 'HTTP 302' });
    assert.deepEqual(await run(address, probe({ httpGet: { port: port(http), path: '/500' } })), { ok: false, message: 'HTTP 500' });
    assert.deepEqual(await run(address, probe({ httpGet: { port: port(http), path: '/404' } })), { ok: false, message: 'HTTP 404' });
  });

  test("httpGet sends the probe's headers (a name given twice with both values) and replaces a default it names", async () => {
    seen.length = 0;
    const headers = [{ name: 'X-Probe', value: 'one' }, { name: 'x-probe', value: 'two' }, { name: 'User-Agent', value: 'mine' }];
    await run(address, probe({ httpGet: { port: port(http), path: '/200', httpHeaders: headers } }));
    assert.equal(seen[0]!['x-probe'], 'one, two');
    assert.equal(seen[0]!['user-agent'], 'mine');
    assert.equal(seen[0]!.host, `127.0.0.1:${port(http)}`);
  });

  test('httpGet over HTTPS does not verify the certificate', async () => {
    assert.deepEqual(await run(address, probe({ httpGet: { port: port(https), path: '/204', scheme: 'HTTPS' } })), { ok: true, message: 'HTTP 204' });
  });

  test('an answer later than timeoutSeconds fails the probe', async () => {
    const started = Date.now();
    assert.deepEqual(await run(address, probe({ httpGet: { port: port(http), path: '/hang' }, timeoutSeconds: 1 })), { ok: false, message: 'timed out after 1 s' });
    assert.ok(Date.now() - started < 1500, `settled at its timeout (${Date.now() - started} ms)`);
  });

  test('tcpSocket: a port that accepts is healthy; a refused one is not, saying so', async () => {
    const server = createTcpServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const open = (server.address() as AddressInfo).port;
    assert.equal((await run(address, probe({ tcpSocket: { port: open } }))).ok, true);
    await new Promise((resolve) => server.close(resolve));
    assert.deepEqual(await run(address, probe({ tcpSocket: { port: open } })), { ok: false, message: `connect ECONNREFUSED 127.0.0.1:${open}` });
  });

  test('HTTP and TCP probes of a pod without an address fail, saying so', async () => {
    assert.deepEqual(await run({ containerId: 'c1' }, probe({ tcpSocket: { port: 80 } })), { ok: false, message: 'the pod has no address on its project network' });
  });

  test('exec runs the command in the container without a shell: exit 0 is healthy; otherwise the code and what it printed', async () => {
    const passing = execEngine(frame(1, 'fine\n'), 0);
    assert.deepEqual(await engineProbeRunner(passing.docker)(address, probe({ exec: { command: ['check', '--quick'] } })), { ok: true, message: 'exit code 0' });
    assert.deepEqual(passing.created, [{ id: 'c1', options: { Cmd: ['check', '--quick'], AttachStdout: true, AttachStderr: true, Tty: false } }]);

    const failing = execEngine(Buffer.concat([frame(1, 'checking\n'), frame(2, 'database down\n')]), 2);
    assert.deepEqual(await engineProbeRunner(failing.docker)(address, probe({ exec: { command: ['check'] } })), { ok: false, message: 'exit code 2: checking\ndatabase down' });

    const hung = execEngine(Buffer.alloc(0), null, true);
    assert.deepEqual(await engineProbeRunner(hung.docker)(address, probe({ exec: { command: ['sleep', '9'] }, timeoutSeconds: 1 })), { ok: false, message: 'timed out after 1 s' });
  });

  test('demuxed reads the frames of a multiplexed stream, a truncated last one as far as it goes', () => {
    assert.equal(demuxed(Buffer.concat([frame(1, 'a'), frame(2, 'b'), frame(1, 'cdef').subarray(0, 10)])), 'abcd');
  });
});
