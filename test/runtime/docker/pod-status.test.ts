import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type Docker from 'dockerode';
import { factsOf } from '../../../src/runtime/docker/pod-status.js';

function sandbox(ports: Docker.Port[]): Docker.ContainerInfo {
  return { Id: 'id', Labels: {}, State: 'running', Status: 'Up 1 second', Created: 0, Ports: ports } as unknown as Docker.ContainerInfo;
}

describe('host ports of a Docker pod', () => {
  it('reports the IPv4 binding when Docker gave IPv4 and IPv6 different host ports, in either order', () => {
    const v4 = { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 32836, Type: 'tcp' };
    const v6 = { IP: '::', PrivatePort: 80, PublicPort: 32829, Type: 'tcp' };
    for (const ports of [[v4, v6], [v6, v4]]) {
      assert.deepEqual(factsOf(sandbox(ports)).hostPorts, [{ port: 80, protocol: 'TCP', hostPort: 32836 }], JSON.stringify(ports));
    }
  });

  it('reports a loopback binding, UDP apart from TCP, and no unpublished port', () => {
    const ports = [
      { IP: '127.0.0.1', PrivatePort: 8080, PublicPort: 40001, Type: 'udp' },
      { IP: '127.0.0.1', PrivatePort: 8080, PublicPort: 40000, Type: 'tcp' },
      { PrivatePort: 9000, Type: 'tcp' },
    ] as Docker.Port[];
    assert.deepEqual(factsOf(sandbox(ports)).hostPorts, [
      { port: 8080, protocol: 'TCP', hostPort: 40000 },
      { port: 8080, protocol: 'UDP', hostPort: 40001 },
    ]);
  });
});
