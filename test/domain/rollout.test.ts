import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assessRollout, availableInMs, isAvailable, startRollout, type RolloutRecord, type RolloutSettings } from '../../src/domain/rollout.js';
import { NEW_HASH, NOW, pod } from './fixtures.js';

const at = (secondsFromNow: number): string => new Date(NOW + secondsFromNow * 1000).toISOString();
const SETTINGS: RolloutSettings = { minReadySeconds: 10, progressDeadlineSeconds: 60, autoRollback: false };

function desired(record: RolloutRecord | undefined, rollout: Partial<RolloutSettings> = {}) {
  return { revision: 2, podTemplateHash: NEW_HASH, instanceNumber: 2, rollout: { ...SETTINGS, ...rollout }, rolloutRecord: record };
}

/** Revision 2's rollout, started `secondsAgo`, revision 1 complete before it. */
function progressing(secondsAgo: number, availableAtProgress = 0): RolloutRecord {
  return { ...startRollout({ ...startRollout(undefined, 1, at(-1000)), lastCompleteRevision: 1 }, 2, at(-secondsAgo)), availableAtProgress, podTemplateHash: NEW_HASH };
}

const o1 = pod('o1', { revision: 1, minute: 1 });
const o2 = pod('o2', { revision: 1, minute: 2 });
const crashing = { ...pod('n1', { minute: 3, ready: false, phase: 'running' }), containerStatuses: [{ name: 'main', state: 'waiting' as const, reason: 'CrashLoopBackOff', message: '', ready: false, restartCount: 7 }] };

describe('availability', () => {
  it('is minReadySeconds after readySince; never while not running', () => {
    assert.equal(availableInMs(pod('a', { readyFor: 4 }), 10, NOW), 6000);
    assert.equal(isAvailable(pod('a', { readyFor: 10 }), 10, NOW), true);
    assert.equal(isAvailable(pod('a', { readyFor: 0 }), 0, NOW), true);
    assert.equal(availableInMs(pod('a', { ready: false }), 0, NOW), undefined);
  });
});

describe('assessRollout', () => {
  it('starts a rollout for a revision it has no record of, remembering the last that completed', () => {
    const { record } = assessRollout(desired({ ...startRollout(undefined, 1, at(-100)), state: 'complete', lastCompleteRevision: 1 }), [o1, o2], NOW);
    assert.deepEqual(record, { revision: 2, state: 'progressing', reason: 'NewRevision', message: 'rolling out revision 2', updateTime: at(0), progressTime: at(0), availableAtProgress: 0, lastCompleteRevision: 1, podTemplateHash: NEW_HASH });
  });

  it('adopts the pod template hash of a rollout recorded before the hash was known, and rolls again when a ConfigMap changes it', () => {
    const { podTemplateHash: _, ...unhashed } = progressing(5);
    assert.equal(assessRollout(desired(unhashed), [o1, o2], NOW).record?.podTemplateHash, NEW_HASH);
    const complete: RolloutRecord = { ...progressing(50), state: 'complete', reason: 'RolloutComplete', lastCompleteRevision: 2, podTemplateHash: 'oldconfig0' };
    const { record } = assessRollout(desired(complete), [{ ...pod('o1', { minute: 1 }), podTemplateHash: 'oldconfig0' }], NOW);
    assert.deepEqual([record?.revision, record?.state, record?.reason, record?.podTemplateHash, record?.progressTime], [2, 'progressing', 'ConfigMapChanged', NEW_HASH, at(0)]);
    assert.match(record?.message ?? '', /a ConfigMap its containers read changed/);
  });

  it('a failed ConfigMap roll has nothing to roll back to: the revision is the last that completed', () => {
    const again: RolloutRecord = { ...progressing(61), reason: 'ConfigMapChanged', lastCompleteRevision: 2 };
    const { record, rollbackTo } = assessRollout(desired(again, { autoRollback: true }), [o1, o2, crashing], NOW);
    assert.equal(rollbackTo, undefined);
    assert.equal(record?.state, 'failed');
    assert.match(record?.message ?? '', /keeps no earlier contents to roll back to: the old pods keep serving$/);
  });

  it('completes once instanceNumber new pods are available and no old pod is left', () => {
    assert.deepEqual(assessRollout(desired(progressing(30, 2)), [o1, pod('n1'), pod('n2')], NOW), { recheckInMs: 30_000 });
    const { record } = assessRollout(desired(progressing(30)), [pod('n1'), pod('n2')], NOW);
    assert.deepEqual([record?.state, record?.reason, record?.message, record?.lastCompleteRevision], ['complete', 'RolloutComplete', 'revision 2: 2 pod(s) available', 2]);
  });

  it('counts a new pod available as progress: the deadline starts again', () => {
    const { record, recheckInMs } = assessRollout(desired(progressing(50)), [o1, o2, pod('n1')], NOW);
    assert.deepEqual([record?.progressTime, record?.availableAtProgress, recheckInMs], [at(0), 1, 60_000]);
    assert.deepEqual(assessRollout(desired(progressing(50, 1)), [o1, o2, pod('n1')], NOW), { recheckInMs: 10_000 });
  });

  it('fails at the deadline where it stands, naming the pod and its last reason', () => {
    const { record, rollbackTo } = assessRollout(desired(progressing(60)), [o1, o2, crashing], NOW);
    assert.equal(rollbackTo, undefined);
    assert.deepEqual([record?.state, record?.reason, record?.message], [
      'failed',
      'ProgressDeadlineExceeded',
      'revision 2 made no progress for 60 s: pod n1 is not available (container main: CrashLoopBackOff, 7 restart(s)); the old pods keep serving',
    ]);
    // Failed stays failed: nothing more to store.
    assert.deepEqual(assessRollout(desired(record), [o1, o2, crashing], NOW + 60_000), {});
  });

  it('with autoRollback, asks for the last revision that completed; without one, says there is none', () => {
    const { record, rollbackTo } = assessRollout(desired(progressing(61), { autoRollback: true }), [o1, o2, crashing], NOW);
    assert.equal(rollbackTo, 1);
    assert.match(record?.message ?? '', /; rolling back to revision 1$/);
    const first = { ...startRollout(undefined, 2, at(-61)) };
    const alone = assessRollout(desired(first, { autoRollback: true }), [crashing], NOW);
    assert.equal(alone.rollbackTo, undefined);
    assert.match(alone.record?.message ?? '', /no earlier revision completed its rollout/);
  });

  it('an automatic rollback rolls out as rolledBack, and completes with reason RolledBack', () => {
    const back = startRollout(progressing(61), 3, at(-5), 'RolledBack', 'why; rolled back to the template of revision 1');
    assert.equal(back.state, 'rolledBack');
    const { record } = assessRollout({ ...desired(back), revision: 3 }, [pod('n1'), pod('n2')], NOW);
    assert.deepEqual([record?.state, record?.reason, record?.message, record?.lastCompleteRevision], ['complete', 'RolledBack', back.message, 3]);
  });

  it("fails before its own deadline when the engine that rolls the pods out says the deadline passed, quoting it", () => {
    const engine = 'ReplicaSet "web-6b7c9d" has timed out progressing.';
    assert.deepEqual(assessRollout(desired(progressing(5)), [o1, o2, crashing], NOW), { recheckInMs: 55_000 }, 'without the engine: 55 s to go');
    const { record, rollbackTo } = assessRollout(desired(progressing(5), { autoRollback: true }), [o1, o2, crashing], NOW, engine);
    assert.deepEqual([record?.state, record?.reason, rollbackTo], ['failed', 'ProgressDeadlineExceeded', 1]);
    assert.equal(record?.message, `revision 2 made no progress for 60 s (the engine: ${engine}): pod n1 is not available (container main: CrashLoopBackOff, 7 restart(s)); rolling back to revision 1`);
    // The container to name is the one not ready, wherever it is in the pod.
    const unready = {
      ...pod('n2', { minute: 3, ready: false, phase: 'running' }),
      containerStatuses: [
        { name: 'sidecar', state: 'running' as const, reason: '', message: '', ready: true, restartCount: 0 },
        { name: 'main', state: 'running' as const, reason: '', message: '', ready: false, restartCount: 0 },
      ],
    };
    assert.match(assessRollout(desired(progressing(5)), [o1, o2, unready], NOW, engine).record?.message ?? '', /: pod n2 is not available \(container main: running, not ready\); the old pods keep serving$/);
    // New pods available meanwhile are progress, whatever a stale verdict says.
    assert.equal(assessRollout(desired(progressing(5)), [o1, o2, pod('n1')], NOW, engine).record?.state, 'progressing');
  });
});
