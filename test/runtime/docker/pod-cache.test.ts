import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type Docker from 'dockerode';
import { normalizeProbe } from '../../../src/domain/probes.js';
import { probeTargets } from '../../../src/runtime/docker/container-health.js';
import { LABEL } from '../../../src/runtime/docker/labels.js';
import { PodCache } from '../../../src/runtime/docker/pod-cache.js';
import { factsOf, type ContainerFacts } from '../../../src/runtime/docker/pod-status.js';

const key = { region: 'eu', project: 'p', app: 'a', service: 's' };
const liveness = normalizeProbe({ tcpSocket: { port: 80 } });

function facts(role: 'sandbox' | 'container', state: string, status: string, extra: { probes?: boolean; ip?: string; pod?: string } = {}): ContainerFacts {
  const pod = extra.pod ?? 'pod-1';
  return factsOf({
    Id: `${pod}-${role}`,
    Labels: {
      [LABEL.region]: key.region,
      [LABEL.project]: key.project,
      [LABEL.app]: key.app,
      [LABEL.service]: key.service,
      [LABEL.pod]: pod,
      [LABEL.role]: role,
      [LABEL.container]: 'web',
      [LABEL.containers]: 'web',
      ...(extra.probes ? { [LABEL.probes]: JSON.stringify({ livenessProbe: liveness }) } : {}),
    },
    State: state,
    Status: status,
    Created: 1_700_000_000,
    Ports: [],
    ...(extra.ip ? { NetworkSettings: { Networks: { wharf_eu_p: { IPAddress: extra.ip } } } } : {}),
  } as unknown as Docker.ContainerInfo);
}

describe('PodCache: a pod Wharf removes', () => {
  test('is terminating from the start of the removal until it is gone, whatever listings meanwhile say of its containers', () => {
    const cache = new PodCache();
    cache.applyListing(cache.mark(), [facts('sandbox', 'running', 'Up 1 hour'), facts('container', 'running', 'Up 1 hour')]);
    assert.equal(cache.views(key)[0]!.status.phase, 'running');

    cache.setRemoving(key, 'pod-1', 'revision 1 is replaced');
    assert.deepEqual(cache.views(key)[0]!.status, { phase: 'terminating', reason: 'Terminating', message: 'revision 1 is replaced' });
    assert.equal(cache.entries(key)[0]!.busy, true, 'its containers are the driver\'s now: not probed');

    // The container stopped (its die event re-lists the pod): it would look failed, but it is terminating.
    cache.applyListing(cache.mark(), [facts('sandbox', 'running', 'Up 1 hour'), facts('container', 'exited', 'Exited (143) 1 second ago')], { key, name: 'pod-1' });
    const stopping = cache.views(key)[0]!;
    assert.equal(stopping.status.phase, 'terminating');
    assert.equal(stopping.containerStatuses[0]!.state, 'terminated', 'its container as it is');
    assert.equal(stopping.ready, false);

    // Only the sandbox left: without the mark this would be failed/ContainerMissing.
    cache.applyListing(cache.mark(), [facts('sandbox', 'running', 'Up 1 hour')], { key, name: 'pod-1' });
    assert.equal(cache.views(key)[0]!.status.phase, 'terminating');
    assert.deepEqual(cache.views(key)[0]!.containerStatuses[0], { name: 'web', state: 'terminated', reason: 'Removed', message: 'removed with its pod', ready: false, restartCount: 0 });

    cache.remove(key, 'pod-1');
    assert.deepEqual(cache.views(key), []);
    assert.equal(cache.isRemoving(key, 'pod-1'), false);
  });

  test('views carry what the health lookup adds to each container', () => {
    const cache = new PodCache((container) => (container.labels[LABEL.role] === 'container' ? { restartCount: 4, probes: {} } : undefined));
    cache.applyListing(cache.mark(), [facts('sandbox', 'running', 'Up 1 hour'), facts('container', 'running', 'Up 1 hour')]);
    assert.equal(cache.views(key)[0]!.containerStatuses[0]!.restartCount, 4);
  });
});

describe('probeTargets: the containers the prober follows', () => {
  const started = () => 1000;
  const pod = (containers: ContainerFacts[], busy = false) => ({ name: 'pod-1', containers, busy });

  test("running containers with probes and a known start, at the sandbox's address", () => {
    const targets = probeTargets(key, pod([facts('sandbox', 'running', 'Up 1 hour', { ip: '172.18.0.9' }), facts('container', 'running', 'Up 1 hour', { probes: true })]), started);
    assert.deepEqual(targets, [{ id: 'pod-1-container', key, pod: 'pod-1', container: 'web', probes: { livenessProbe: liveness }, startedAt: 1000, ip: '172.18.0.9' }]);
  });

  test('none for a container without probes, not running, not yet inspected, being restarted, or in a pod being created or removed', () => {
    const sandbox = facts('sandbox', 'running', 'Up 1 hour', { ip: '172.18.0.9' });
    const probed = facts('container', 'running', 'Up 1 hour', { probes: true });
    assert.deepEqual(probeTargets(key, pod([sandbox, facts('container', 'running', 'Up 1 hour')]), started), []);
    assert.deepEqual(probeTargets(key, pod([sandbox, facts('container', 'restarting', 'Restarting (1) 1 second ago', { probes: true })]), started), []);
    assert.deepEqual(probeTargets(key, pod([sandbox, probed]), () => undefined), []);
    assert.deepEqual(probeTargets(key, pod([sandbox, probed]), started, new Map([[probed.id, true]])), []);
    assert.deepEqual(probeTargets(key, pod([sandbox, probed], true), started), []);
  });
});
