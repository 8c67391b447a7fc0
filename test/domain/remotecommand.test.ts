import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseProtocol, endingOf, execStatus, frame, offeredProtocols, parseResize, tokenOfProtocols } from '../../src/domain/remotecommand.js';

describe('Kubernetes\' exec protocol', () => {
  it('picks v5 over v4 and nothing older', () => {
    assert.equal(chooseProtocol(['v4.channel.k8s.io', 'v5.channel.k8s.io']), 'v5.channel.k8s.io');
    assert.equal(chooseProtocol(['channel.k8s.io', 'v4.channel.k8s.io']), 'v4.channel.k8s.io');
    assert.equal(chooseProtocol(['v3.channel.k8s.io', 'base64.channel.k8s.io']), undefined);
    assert.deepEqual(offeredProtocols(' v5.channel.k8s.io ,v4.channel.k8s.io,'), ['v5.channel.k8s.io', 'v4.channel.k8s.io']);
    assert.deepEqual(offeredProtocols(undefined), []);
  });

  it('reads a token from the bearer subprotocol, base64url without padding', () => {
    const token = 'wharf_0123456789abcdef_secret';
    assert.equal(tokenOfProtocols(['v5.channel.k8s.io', `base64url.bearer.authorization.k8s.io.${Buffer.from(token).toString('base64url')}`]), token);
    assert.equal(tokenOfProtocols(['v5.channel.k8s.io']), undefined);
    assert.equal(tokenOfProtocols(['base64url.bearer.authorization.k8s.io.']), undefined);
  });

  it('frames a channel byte before the data', () => {
    assert.deepEqual([...frame(1, 'hi')], [1, 0x68, 0x69]);
    assert.deepEqual([...frame(3, new Uint8Array())], [3]);
  });

  it('writes the status as the kubelet does, and reads it back', () => {
    assert.deepEqual(execStatus(['true'], { exitCode: 0 }), { metadata: {}, status: 'Success' });
    const failed = execStatus(['sh', '-c', 'exit 3'], { exitCode: 3 });
    assert.deepEqual(failed, {
      metadata: {},
      status: 'Failure',
      message: 'command terminated with non-zero exit code: error executing command ["sh","-c","exit 3"], exit code 3',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
    assert.deepEqual(execStatus(['x'], { failure: 'the engine went away' }), { metadata: {}, status: 'Failure', message: 'the engine went away', reason: 'InternalError' });
    assert.deepEqual(endingOf(failed), { exitCode: 3 });
    assert.deepEqual(endingOf({ status: 'Success' }), { exitCode: 0 });
    assert.deepEqual(endingOf({ status: 'Failure', reason: 'InternalError', message: 'exec: "x": executable file not found' }), { failure: 'exec: "x": executable file not found' });
  });

  it('reads a resize in either case, as Go does, and ignores one that is not a size', () => {
    assert.deepEqual(parseResize(Buffer.from('{"Width":80,"Height":24}')), { width: 80, height: 24 });
    assert.deepEqual(parseResize(Buffer.from('{"width":132,"height":50}')), { width: 132, height: 50 });
    for (const bad of ['', 'nope', '{"Width":80}', '{"Width":0,"Height":24}', '{"Width":1.5,"Height":24}', '{"Width":70000,"Height":24}', '[80,24]', 'null']) {
      assert.equal(parseResize(Buffer.from(bad)), undefined, bad);
    }
  });
});
