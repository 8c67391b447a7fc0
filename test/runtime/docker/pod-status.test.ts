import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type Docker from 'dockerode';
import { LABEL } from '../../../src/runtime/docker/labels.js';
import { factsOf, podView, upSince } from '../../../src/runtime/docker/pod-status.js';

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

describe('readiness of a Docker pod', () => {
  const NOW = Date.parse('2026-01-01T12:00:00.000Z');
  const container = (name: string, role: string, state: string, status: string): Docker.ContainerInfo =>
    ({
      Id: name,
      Labels: { [LABEL.role]: role, [LABEL.container]: name, [LABEL.containers]: 'main,side' },
      State: state,
      Status: status,
      Created: NOW / 1000 - 3600,
      Ports: [],
    }) as unknown as Docker.ContainerInfo;

  it("reads when a container came up from Docker's list", () => {
    assert.equal(upSince('Up Less than a second', NOW), NOW);
    assert.equal(upSince('Up 12 seconds', NOW), NOW - 12_000);
    assert.equal(upSince('Up About a minute', NOW), NOW - 60_000);
    assert.equal(upSince('Up 3 hours (healthy)', NOW), NOW - 3 * 3_600_000);
    assert.equal(upSince('Restarting (1) 2 seconds ago', NOW), undefined);
  });

  it('is ready since its last container came up; not while one restarts; restartCount 0 (the list has none)', () => {
    const sandbox = factsOf(container('sandbox', 'sandbox', 'running', 'Up 2 hours'), NOW);
    const up = podView('p', [sandbox, factsOf(container('main', 'container', 'running', 'Up 5 seconds'), NOW), factsOf(container('side', 'container', 'running', 'Up 1 minute'), NOW)]);
    assert.equal(up.ready, true);
    assert.equal(up.readySince, new Date(NOW - 5000).toISOString());
    assert.deepEqual(up.containerStatuses.map((status) => [status.name, status.ready, status.restartCount]), [['main', true, 0], ['side', true, 0]]);

    const restarting = podView('p', [sandbox, factsOf(container('main', 'container', 'restarting', 'Restarting (1) 1 second ago'), NOW), factsOf(container('side', 'container', 'running', 'Up 1 minute'), NOW)]);
    assert.equal(restarting.ready, false);
    assert.equal(restarting.readySince, undefined);
    assert.deepEqual(restarting.containerStatuses[0], { name: 'main', state: 'waiting', reason: 'CrashLoopBackOff', message: 'Restarting (1) 1 second ago', ready: false, restartCount: 0 });
  });
});
