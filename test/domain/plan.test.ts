import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describe as describeOperation, plan, statelessPodName, type PodOperation } from '../../src/domain/plan.js';
import type { ObservedPod } from '../../src/domain/observed.js';
import type { DesiredService } from '../../src/domain/service.js';
import { withPodTemplateHash } from '../../src/domain/configmaps.js';
import { desiredState, KEY, NEW_HASH, planContext, pod } from './fixtures.js';

function planLines(desired: DesiredService | undefined, pods: ObservedPod[]): string[] {
  return plan(KEY, desired, pods, planContext()).map(describeOperation);
}

const SURGE = 'roll out revision 2: surge one pod while';

describe('plan: scale', () => {
  it('creates every pod of a new stateless service', () => {
    assert.deepEqual(planLines(desiredState({ instanceNumber: 3 }), []), [
      `create shop-web-${NEW_HASH}-s0001 (revision 2): scale up to 3: 0 of 3 present`,
      `create shop-web-${NEW_HASH}-s0002 (revision 2): scale up to 3: 1 of 3 present`,
      `create shop-web-${NEW_HASH}-s0003 (revision 2): scale up to 3: 2 of 3 present`,
    ]);
  });

  it('adds only the missing pods when scaling up', () => {
    assert.deepEqual(planLines(desiredState({ instanceNumber: 3 }), [pod('a')]), [
      `create shop-web-${NEW_HASH}-s0001 (revision 2): scale up to 3: 1 of 3 present`,
      `create shop-web-${NEW_HASH}-s0002 (revision 2): scale up to 3: 2 of 3 present`,
    ]);
  });

  it('removes unready pods first, then the newest, when scaling down', () => {
    const pods = [pod('a', { minute: 1 }), pod('b', { minute: 2, ready: false }), pod('c', { minute: 3 }), pod('d', { minute: 4 })];
    assert.deepEqual(planLines(desiredState({ instanceNumber: 2 }), pods), ['remove b: scale down to 2', 'remove d: scale down to 2']);
  });

  it('does nothing when the service has what it needs, ready or still starting', () => {
    assert.deepEqual(planLines(desiredState(), [pod('a'), pod('b')]), []);
    assert.deepEqual(planLines(desiredState(), [pod('a'), pod('b', { ready: false })]), []);
  });
});

describe('plan: rolling update (maxSurge 1, maxUnavailable 0)', () => {
  it('surges one pod, waits for it, removes one old pod, and so on', () => {
    const desired = desiredState({ instanceNumber: 2 });
    const o1 = pod('o1', { revision: 1, minute: 1 });
    const o2 = pod('o2', { revision: 1, minute: 2 });
    const n1 = (ready: boolean) => pod('n1', { minute: 3, ready });
    const n2 = (ready: boolean) => pod('n2', { minute: 4, ready });
    const steps: Array<[ObservedPod[], string[]]> = [
      [[o1, o2], [`create shop-web-${NEW_HASH}-s0001 (revision 2): ${SURGE} 2 old pod(s) serve`]],
      [[o1, o2, n1(false)], []],
      [[o1, o2, n1(true)], ['remove o1: revision 1 is replaced: 1 new pod(s) available']],
      [[o2, n1(true)], [`create shop-web-${NEW_HASH}-s0001 (revision 2): ${SURGE} 1 old pod(s) serve`]],
      [[o2, n1(true), n2(false)], []],
      [[o2, n1(true), n2(true)], ['remove o2: revision 1 is replaced: 2 new pod(s) available']],
      [[n1(true), n2(true)], []],
    ];
    steps.forEach(([pods, expected], step) => assert.deepEqual(planLines(desired, pods), expected, `step ${step + 1}`));
  });

  it('removes an outdated pod that is not available at once, filling up to instanceNumber + 1', () => {
    const pods = [pod('o1', { revision: 1, ready: false }), pod('o2', { revision: 1 })];
    assert.deepEqual(planLines(desiredState(), pods), [
      'remove o1: revision 1 is outdated and not available',
      `create shop-web-${NEW_HASH}-s0001 (revision 2): ${SURGE} 1 old pod(s) serve`,
      `create shop-web-${NEW_HASH}-s0002 (revision 2): ${SURGE} 1 old pod(s) serve`,
    ]);
  });

  it('scales up during a rollout without exceeding instanceNumber + 1 pods', () => {
    const pods = [pod('o1', { revision: 1, minute: 1 }), pod('o2', { revision: 1, minute: 2 }), pod('n1', { minute: 3 })];
    assert.deepEqual(planLines(desiredState({ instanceNumber: 4 }), pods), [
      `create shop-web-${NEW_HASH}-s0001 (revision 2): ${SURGE} 2 old pod(s) serve`,
      `create shop-web-${NEW_HASH}-s0002 (revision 2): ${SURGE} 2 old pod(s) serve`,
    ]);
  });

  it('scales down during a rollout, keeping instanceNumber pods available', () => {
    const pods = [pod('o1', { revision: 1, minute: 1 }), pod('o2', { revision: 1, minute: 2 }), pod('n1', { minute: 3, ready: false })];
    assert.deepEqual(planLines(desiredState({ instanceNumber: 1 }), pods), ['remove o1: revision 1 is replaced: 0 new pod(s) available']);
  });

  it('never plans more than instanceNumber + 1 pods nor fewer than instanceNumber available', () => {
    for (let want = 1; want <= 4; want++) {
      for (let oldCount = 0; oldCount <= 4; oldCount++) {
        for (let newReady = 0; newReady <= 4; newReady++) {
          const pods = [
            ...Array.from({ length: oldCount }, (_, i) => pod(`o${i}`, { revision: 1, minute: i })),
            ...Array.from({ length: newReady }, (_, i) => pod(`n${i}`, { minute: 10 + i })),
          ];
          const operations = plan(KEY, desiredState({ instanceNumber: want }), pods, planContext());
          const after = applyPlan(pods, operations);
          const label = `want ${want}, ${oldCount} old, ${newReady} new`;
          if (pods.length <= want + 1) assert.ok(after.length <= want + 1, `${label}: ${after.length} pods`);
          const availableBefore = pods.filter((candidate) => candidate.ready).length;
          const availableAfter = after.filter((candidate) => candidate.ready).length;
          assert.ok(availableAfter >= Math.min(want, availableBefore), `${label}: ${availableAfter} available`);
        }
      }
    }
  });
});

describe('plan: availability is every container running minReadySeconds without a restart', () => {
  const desired = desiredState({ instanceNumber: 2 });
  const o1 = pod('o1', { revision: 1, minute: 1 });
  const o2 = pod('o2', { revision: 1, minute: 2 });

  it('keeps every old pod while the surged pod runs but has not run minReadySeconds', () => {
    assert.deepEqual(planLines(desired, [o1, o2, pod('n1', { minute: 3, readyFor: 9 })]), []);
    assert.deepEqual(planLines(desired, [o1, o2, pod('n1', { minute: 3, readyFor: 10 })]), ['remove o1: revision 1 is replaced: 1 new pod(s) available']);
  });

  it('counts a pod from minReadySeconds 0 as soon as it runs', () => {
    const now = desiredState({ instanceNumber: 2, rollout: { minReadySeconds: 0, progressDeadlineSeconds: 600, autoRollback: false } });
    assert.deepEqual(planLines(now, [o1, o2, pod('n1', { minute: 3, readyFor: 0 })]), ['remove o1: revision 1 is replaced: 1 new pod(s) available']);
  });

  it('keeps every old pod, and surges no more, while the new pod crash-loops (not running, or restarted within minReadySeconds)', () => {
    assert.deepEqual(planLines(desired, [o1, o2, pod('n1', { minute: 3, ready: false, phase: 'running' })]), []);
    assert.deepEqual(planLines(desired, [o1, o2, pod('n1', { minute: 3, readyFor: 2 })]), []);
  });

  it('keeps an old pod that restarted within minReadySeconds, uncounted, and removes it first once new pods are available', () => {
    const restarted = pod('o1', { revision: 1, minute: 1, readyFor: 3 });
    // Not available yet, o1 is not counted: while only o2 and the new pod are, only o1 may go (it costs no availability).
    assert.deepEqual(planLines(desired, [restarted, o2, pod('n1', { minute: 3, readyFor: 5 })]), []);
    assert.deepEqual(planLines(desired, [restarted, o2, pod('n1', { minute: 3 })]), ['remove o1: revision 1 is replaced: 1 new pod(s) available']);
    assert.deepEqual(planLines(desired, [restarted, o2, pod('n1', { minute: 3 }), pod('n2', { minute: 4 })]), [
      'remove o1: revision 1 is replaced: 2 new pod(s) available',
      'remove o2: revision 1 is replaced: 2 new pod(s) available',
    ]);
    assert.deepEqual(planLines(desiredState({ instanceNumber: 1 }), [restarted, o2, pod('n1', { minute: 3 })]), [
      'remove o1: revision 1 is replaced: 1 new pod(s) available',
      'remove o2: revision 1 is replaced: 1 new pod(s) available',
    ]);
  });

  it('scales down the pods not yet available first', () => {
    const pods = [pod('a', { minute: 1 }), pod('b', { minute: 2, readyFor: 1 }), pod('c', { minute: 3 })];
    assert.deepEqual(planLines(desiredState({ instanceNumber: 2 }), pods), ['remove b: scale down to 2']);
  });
});

describe('plan: stateful recreate', () => {
  const stateful = desiredState({ type: 'stateful', instanceNumber: 1 });

  it('creates the one pod <app>-<service>-0', () => {
    assert.deepEqual(planLines(stateful, []), ['create shop-web-0 (revision 2): the stateful service has no pod']);
  });

  it('removes the old pod, and creates the new one under the same name only once the old one is gone', () => {
    assert.deepEqual(planLines(stateful, [pod('shop-web-0', { revision: 1 })]), [
      'remove shop-web-0: revision 1 is replaced by 2: stateful pods are recreated, one writer per volume',
    ]);
    const stopping = pod('shop-web-0', { revision: 1, ready: false });
    assert.deepEqual(planLines(stateful, [{ ...stopping, status: { phase: 'terminating', reason: 'Terminating', message: '' } }]), [], 'still stopping: it may still write');
    assert.deepEqual(planLines(stateful, []), ['create shop-web-0 (revision 2): the stateful service has no pod']);
  });

  it('waits for a starting pod of the current revision', () => {
    assert.deepEqual(planLines(stateful, [pod('shop-web-0', { ready: false })]), []);
  });
});

describe('plan: stop, delete, leftovers and failures', () => {
  it('removes every pod of a stopped service and creates none', () => {
    const pods = [pod('a'), pod('b', { revision: 1 })];
    assert.deepEqual(planLines(desiredState({ stopped: true }), pods), [
      'remove a: the service is stopped',
      'remove b: the service is stopped',
    ]);
    assert.deepEqual(planLines(desiredState({ stopped: true }), []), []);
  });

  it('removes every pod of a deleted service', () => {
    assert.deepEqual(planLines(undefined, [pod('a'), pod('b', { uid: 'uid-0' })]), [
      'remove a: the service was deleted',
      'remove b: the service was deleted',
    ]);
  });

  it('removes the pods of an earlier service of the same name and starts its own', () => {
    assert.deepEqual(planLines(desiredState({ instanceNumber: 1 }), [pod('shop-web-old-x', { uid: 'uid-0' })]), [
      'remove shop-web-old-x: left by an earlier service of the same name',
      `create shop-web-${NEW_HASH}-s0001 (revision 2): scale up to 1: 0 of 1 present`,
    ]);
  });

  it('replaces failed and succeeded pods', () => {
    const pods = [pod('a'), pod('b', { phase: 'failed', ready: false }), pod('c', { phase: 'succeeded', ready: false })];
    assert.deepEqual(planLines(desiredState({ instanceNumber: 3 }), pods), [
      'remove b: the pod has failed and will not run again',
      'remove c: the pod has succeeded and will not run again',
      `create shop-web-${NEW_HASH}-s0001 (revision 2): scale up to 3: 1 of 3 present`,
      `create shop-web-${NEW_HASH}-s0002 (revision 2): scale up to 3: 2 of 3 present`,
    ]);
  });

  it('recreates a failed stateful pod', () => {
    const stateful = desiredState({ type: 'stateful', instanceNumber: 1 });
    assert.deepEqual(planLines(stateful, [pod('shop-web-0', { phase: 'failed', ready: false })]), [
      'remove shop-web-0: the pod has failed and will not run again',
    ]);
    assert.deepEqual(planLines(stateful, []), ['create shop-web-0 (revision 2): the stateful service has no pod'], 'once it is gone');
  });
});

describe('plan: what it creates', () => {
  it('gives a created pod everything a runtime needs', () => {
    const desired = desiredState({ instanceNumber: 1, ports: [{ port: 80, protocol: 'TCP' }] });
    const inputs = {
      configMaps: new Map([['cm', { data: { key1: 'v1' }, digest: 'd1' }]]),
      volumes: new Map([['data', { project: KEY.project, name: 'data', sizeGi: 3, storageType: 'fast' }]]),
      projectQuota: {},
    };
    const [operation] = plan(KEY, desired, [], { ...planContext(), inputs });
    assert.deepEqual(operation, {
      action: 'create',
      cause: 'scale up to 1: 0 of 1 present',
      pod: {
        name: `shop-web-${NEW_HASH}-s0001`,
        key: KEY,
        serviceUid: 'uid-1',
        type: 'stateless',
        revision: 2,
        podTemplateHash: NEW_HASH,
        containers: desired.containers,
        resources: { cpu: 1, memoryMb: 1024 },
        ports: [{ port: 80, protocol: 'TCP' }],
        configMaps: inputs.configMaps,
        volumes: inputs.volumes,
      },
    });
  });

  it('is pure: the same input gives the same plan', () => {
    const pods = [pod('o1', { revision: 1 }), pod('n1', { ready: false })];
    assert.deepEqual(planLines(desiredState({ instanceNumber: 3 }), pods), planLines(desiredState({ instanceNumber: 3 }), pods));
  });

  it('keeps stateless pod names within 63 characters, without a dash before the hash doubled', () => {
    const longKey = { ...KEY, app: 'a'.repeat(30), service: `${'b'.repeat(28)}-c` };
    const name = statelessPodName(desiredState({ key: longKey }), planContext());
    assert.ok(name.length <= 63, `${name.length} characters`);
    assert.match(name, new RegExp(`^a{30}-b+-${NEW_HASH}-s0001$`));
  });
});

/** The pods left once a plan ran, created pods not yet ready. */
function applyPlan(pods: ObservedPod[], operations: PodOperation[]): ObservedPod[] {
  let result = [...pods];
  for (const operation of operations) {
    if (operation.action === 'remove') result = result.filter((candidate) => candidate.name !== operation.pod);
    else result.push(pod(operation.pod.name, { ready: false }));
  }
  return result;
}

describe('plan: a ConfigMap the service reads changed', () => {
  const reading = desiredState({
    instanceNumber: 1,
    containers: [{ name: 'main', image: 'app:1', workingDir: '', command: [], args: [], volumeMounts: [], configs: [], envs: [{ type: 'configMap', name: 'MODE', value: 'cm.mode' }] }],
  });
  const withContent = (digest: string) => withPodTemplateHash(reading, new Map([['cm', digest]]));

  it('rolls the pods as an upgrade would, at the same revision', () => {
    const before = withContent('d1');
    const after = withContent('d2');
    const running = { ...pod('p1'), podTemplateHash: before.podTemplateHash };
    assert.deepEqual(planLines(before, [running]), [], 'nothing to do while the content is unchanged');
    const [create] = plan(KEY, after, [running], planContext());
    assert.equal(create?.action, 'create');
    assert.equal(create?.action === 'create' && create.pod.revision, 2, 'the revision stays');
    assert.equal(create?.action === 'create' && create.pod.podTemplateHash, after.podTemplateHash);
    const surged = { ...pod('p2', { minute: 1 }), podTemplateHash: after.podTemplateHash };
    assert.deepEqual(planLines(after, [running, surged]), ['remove p1: revision 2 is replaced: 1 new pod(s) available']);
  });
});

describe('plan: readiness probes and terminating pods', () => {
  const desired = desiredState({ instanceNumber: 2 });
  const o1 = pod('o1', { revision: 1, minute: 1 });
  const o2 = pod('o2', { revision: 1, minute: 2 });
  /** Runs, but its readiness probe fails: not ready, so never available. */
  const unready = (name: string, shape: Parameters<typeof pod>[1] = {}): ObservedPod => ({
    ...pod(name, { ...shape, ready: false, phase: 'running' }),
    status: { phase: 'running', reason: 'ContainersNotReady', message: 'container main is not ready: readiness probe failed: HTTP 500' },
    containerStatuses: [{ name: 'main', state: 'running', reason: 'Unhealthy', message: 'readiness probe failed: HTTP 500', ready: false, restartCount: 0 }],
  });
  const terminating = (name: string, shape: Parameters<typeof pod>[1] = {}): ObservedPod => ({
    ...pod(name, { ...shape, ready: false }),
    status: { phase: 'terminating', reason: 'Terminating', message: '' },
  });

  it('keeps every old pod, and surges no more, while the new pod runs but fails its readiness probe', () => {
    assert.deepEqual(planLines(desired, [o1, o2, unready('n1', { minute: 3 })]), []);
  });

  it('removes an old pod that fails its readiness probe at once: it serves nothing', () => {
    assert.deepEqual(planLines(desired, [unready('o1', { revision: 1, minute: 1 }), o2, pod('n1', { minute: 3 })]), [
      'remove o1: revision 1 is outdated and not available',
      `create shop-web-${NEW_HASH}-s0001 (revision 2): ${SURGE} 1 old pod(s) serve`,
    ]);
  });

  it('a terminating pod is neither removed again nor counted: the service fills up without it', () => {
    assert.deepEqual(planLines(desired, [terminating('o1', { revision: 1, minute: 1 }), o2, pod('n1', { minute: 3 })]), [
      `create shop-web-${NEW_HASH}-s0001 (revision 2): ${SURGE} 1 old pod(s) serve`,
    ]);
    assert.deepEqual(planLines(desired, [terminating('n0', { minute: 1 }), pod('n1', { minute: 3 })]), [
      `create shop-web-${NEW_HASH}-s0001 (revision 2): scale up to 2: 1 of 2 present`,
    ]);
  });

  it('takes no surge pod while two pods are on their way out, yet fills the service up to instanceNumber without them', () => {
    const leaving = [terminating('o0', { revision: 1 }), terminating('o1', { revision: 1, minute: 1 })];
    assert.deepEqual(planLines(desired, [...leaving, o2, pod('n1', { minute: 3 })]), [], 'one old and one new pod serve: the surge waits for a stop');
    assert.deepEqual(planLines(desired, [...leaving, pod('n1', { minute: 3 })]), [
      `create shop-web-${NEW_HASH}-s0001 (revision 2): scale up to 2: 1 of 2 present`,
    ]);
  });

  it('deleting or stopping the service leaves terminating pods alone', () => {
    assert.deepEqual(planLines(undefined, [terminating('o1', { revision: 1 }), o2]), ['remove o2: the service was deleted']);
    assert.deepEqual(planLines(desiredState({ stopped: true }), [terminating('n1'), pod('n2')]), ['remove n2: the service is stopped']);
  });
});
