import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ContainerRecords, engineTime, type InspectedContainer } from '../../../src/runtime/docker/container-records.js';

const ZERO = '0001-01-01T00:00:00Z';
const running = (restarts: number, startedAt: string, finishedAt = ZERO): InspectedContainer => ({
  RestartCount: restarts,
  // Docker resets ExitCode and OOMKilled when the container starts again.
  State: { Running: true, StartedAt: startedAt, FinishedAt: finishedAt, ExitCode: 0, OOMKilled: false },
});
const stopped = (restarts: number, startedAt: string, finishedAt: string, exitCode: number, oom = false): InspectedContainer => ({
  RestartCount: restarts,
  State: { Running: false, StartedAt: startedAt, FinishedAt: finishedAt, ExitCode: exitCode, OOMKilled: oom },
});

describe('ContainerRecords: what inspections and events say of a container', () => {
  test("Docker's times: nanoseconds read to the millisecond; the zero time is no time", () => {
    assert.equal(engineTime('2026-11-30T00:29:05.410544577Z'), Date.parse('2026-11-30T00:29:05.410Z'));
    assert.equal(engineTime(ZERO), undefined);
    assert.equal(engineTime(''), undefined);
  });

  test("a first inspection gives the exact start and Docker's restart count; no exit is known of a running container", () => {
    const records = new ContainerRecords();
    assert.equal(records.inspected('c', running(2, '2026-01-01T10:00:00.123456Z', '2026-01-01T09:59:59Z')), true);
    assert.equal(records.get('c')?.startedAt, Date.parse('2026-01-01T10:00:00.123Z'));
    assert.equal(records.restartCount('c'), 2);
    assert.equal(records.get('c')?.lastState, undefined, 'its ExitCode was reset by the start: unknown');
    assert.equal(records.inspected('c', running(2, '2026-01-01T10:00:00.123456Z', '2026-01-01T09:59:59Z')), false, 'the same answer changes nothing');
  });

  test('a crash: the die event gives the exit code at once; a later inspection of the running container keeps it; a stopped one refines it', () => {
    const records = new ContainerRecords();
    records.inspected('c', running(0, '2026-01-01T10:00:00Z'));
    const diedAt = Date.parse('2026-01-01T10:00:05.000Z');
    records.died('c', 3, diedAt);
    assert.deepEqual(records.get('c')?.lastState, { exitCode: 3, reason: 'Error', finishedAt: '2026-01-01T10:00:05.000Z' });
    assert.equal(records.get('c')?.startedAt, undefined, 'not running');

    records.inspected('c', stopped(0, '2026-01-01T10:00:00Z', '2026-01-01T10:00:04.999Z', 3));
    assert.deepEqual(records.get('c')?.lastState, { exitCode: 3, reason: 'Error', finishedAt: '2026-01-01T10:00:04.999Z' });
    records.inspected('c', running(1, '2026-01-01T10:00:06Z', '2026-01-01T10:00:04.999Z'));
    assert.deepEqual(records.get('c')?.lastState, { exitCode: 3, reason: 'Error', finishedAt: '2026-01-01T10:00:04.999Z' }, 'kept while it runs again');
    assert.equal(records.restartCount('c'), 1);
  });

  test("a container Docker's restart policy is about to start again is not running: its StartedAt is the run that ended", () => {
    const records = new ContainerRecords();
    records.inspected('c', running(0, '2026-01-01T10:00:00Z'));
    const restarting = { RestartCount: 1, State: { Running: true, Restarting: true, StartedAt: '2026-01-01T10:00:00Z', FinishedAt: '2026-01-01T10:00:00.100Z', ExitCode: 1, OOMKilled: false } };
    records.inspected('c', restarting);
    assert.equal(records.get('c')?.startedAt, undefined);
    assert.deepEqual(records.get('c')?.lastState, { exitCode: 1, reason: 'Error', finishedAt: '2026-01-01T10:00:00.100Z' });
    assert.equal(records.restartCount('c'), 1, 'Docker counts the restart as soon as it is scheduled');
  });

  test('an exit 0 is Completed; an oom event before the die makes it OOMKilled, as does OOMKilled in an inspection', () => {
    const records = new ContainerRecords();
    records.died('a', 0, 0);
    assert.equal(records.get('a')?.lastState?.reason, 'Completed');
    records.oomKilled('b');
    records.died('b', 137, 0);
    assert.deepEqual(records.get('b')?.lastState, { exitCode: 137, reason: 'OOMKilled', finishedAt: new Date(0).toISOString() });
    records.died('b', 137, 1000);
    assert.equal(records.get('b')?.lastState?.reason, 'Error', 'the oom was for the earlier exit');
    records.inspected('c', stopped(0, '2026-01-01T10:00:00Z', '2026-01-01T10:00:01Z', 137, true));
    assert.equal(records.get('c')?.lastState?.reason, 'OOMKilled');
  });

  test("Wharf's own restart counts; Docker's count, reset by the start, is carried over", () => {
    const records = new ContainerRecords();
    records.inspected('c', running(3, '2026-01-01T10:00:00Z'));
    records.restartedByWharf('c');
    assert.equal(records.restartCount('c'), 4, 'counted at once');
    records.inspected('c', stopped(3, '2026-01-01T10:00:00Z', '2026-01-01T10:01:00Z', 143));
    assert.equal(records.restartCount('c'), 4, 'stopped, not yet started: still 4');
    records.inspected('c', running(0, '2026-01-01T10:01:01Z', '2026-01-01T10:01:00Z'));
    assert.equal(records.restartCount('c'), 4, 'Docker reset its count to 0 on the start: 3 carried + 1');
    records.inspected('c', running(1, '2026-01-01T10:01:30Z', '2026-01-01T10:01:29Z'));
    assert.equal(records.restartCount('c'), 5, 'a crash after it adds');
  });

  test('an engine that keeps its count across a start by hand is not counted twice', () => {
    const records = new ContainerRecords();
    records.inspected('c', running(3, '2026-01-01T10:00:00Z'));
    records.restartedByWharf('c');
    records.inspected('c', running(3, '2026-01-01T10:01:01Z'));
    assert.equal(records.restartCount('c'), 4);
  });

  test('retain keeps the records of containers that exist', () => {
    const records = new ContainerRecords();
    records.died('a', 1, 0);
    records.died('b', 1, 0);
    records.retain(new Set(['b']));
    assert.equal(records.has('a'), false);
    assert.equal(records.has('b'), true);
  });
});
