import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Probe } from '../../../src/model/probe.js';
import { normalizeProbe } from '../../../src/domain/probes.js';
import type { ProbeAddress, ProbeOutcome } from '../../../src/runtime/docker/probe-runners.js';
import { Prober, type ProbeTarget } from '../../../src/runtime/docker/prober.js';
import { FakeClock, settle } from './fake-clock.js';

const key = { region: 'eu', project: 'p', app: 'a', service: 's' };
const http = (extra: Record<string, number> = {}): Probe => normalizeProbe({ httpGet: { port: 80, path: '/healthz' }, ...extra });
const exec = (extra: Record<string, number> = {}): Probe => normalizeProbe({ exec: { command: ['true'] }, ...extra });

/** A prober on a fake clock whose probes answer what `answer` says, recording every run. */
function harness(answer: (call: { id: string; probe: Probe; at: number }) => ProbeOutcome | Promise<ProbeOutcome>, random = () => 0) {
  const clock = new FakeClock();
  const runs: Array<{ id: string; probe: Probe; at: number; ip?: string }> = [];
  const changes: string[] = [];
  const restarts: Array<{ id: string; probe: string; failure: string; at: number }> = [];
  const prober = new Prober({
    clock,
    random,
    run: async (address: ProbeAddress, probe: Probe) => {
      const call = { id: address.containerId, probe, at: clock.now(), ...(address.ip ? { ip: address.ip } : {}) };
      runs.push(call);
      return answer(call);
    },
    onChange: (changed) => changes.push(changed.service),
    onRestart: (target, probe, failure) => restarts.push({ id: target.id, probe, failure, at: clock.now() }),
  });
  return { clock, prober, runs, changes, restarts };
}

const target = (probes: ProbeTarget['probes'], startedAt: number, id = 'c1'): ProbeTarget => ({ id, key, pod: 'pod-1', container: 'web', probes, startedAt, ip: '172.18.0.5' });

describe('Prober: when probes run', () => {
  test('first initialDelaySeconds after the start, then every periodSeconds, to the pod address', async () => {
    const { clock, prober, runs } = harness(() => ({ ok: true, message: 'HTTP 200' }));
    const start = clock.now();
    const readiness = http({ initialDelaySeconds: 5, periodSeconds: 2 });
    prober.sync(key, [target({ readinessProbe: readiness }, start)]);
    await clock.advance(4999);
    assert.equal(runs.length, 0, 'nothing before the initial delay');
    await clock.advance(1 + 2000 * 3);
    assert.deepEqual(runs.map((run) => run.at - start), [5000, 7000, 9000, 11000]);
    assert.equal(runs[0]!.ip, '172.18.0.5');
    prober.close();
  });

  test('one timer for the probes of many containers', async () => {
    const { clock, prober, runs } = harness(() => ({ ok: true, message: '' }));
    const targets = Array.from({ length: 200 }, (_, i) => target({ readinessProbe: http({ periodSeconds: 1 + (i % 7) }), livenessProbe: exec({ periodSeconds: 3 }) }, clock.now(), `c${i}`));
    prober.sync(key, targets);
    assert.equal(clock.pending, 1, 'one pending timer for 400 probes');
    await clock.advance(10_000);
    assert.equal(clock.pending, 1);
    assert.ok(runs.length > 400 * 2, `probes ran: ${runs.length}`);
    prober.close();
    assert.equal(clock.pending, 0, 'close leaves no timer');
  });

  test('jitter makes a run at most a tenth of its period late (at most 1 s)', async () => {
    const { clock, prober, runs } = harness(() => ({ ok: true, message: '' }), () => 0.99);
    const start = clock.now();
    prober.sync(key, [target({ readinessProbe: http({ periodSeconds: 2 }) }, start), target({ livenessProbe: http({ periodSeconds: 60 }) }, start, 'c2')]);
    await clock.advance(61_000);
    const c1 = runs.filter((run) => run.id === 'c1').map((run) => run.at - start);
    assert.equal(c1[0], 198);
    for (let i = 1; i < c1.length; i++) assert.equal(c1[i]! - c1[i - 1]!, 2198, `run ${i}`);
    assert.deepEqual(runs.filter((run) => run.id === 'c2').map((run) => run.at - start), [990]);
  });

  test('a container long past its first probe (Wharf restarted) is first probed within one period, spread by chance', async () => {
    const { clock, prober, runs } = harness(() => ({ ok: true, message: '' }), () => 0.5);
    const now = clock.now();
    prober.sync(key, [target({ readinessProbe: http({ periodSeconds: 10 }) }, now - 3_600_000)]);
    await clock.advance(20_000);
    assert.equal(runs[0]!.at - now, 5000);
    prober.close();
  });

  test('a probe still running when its period comes round is not run twice; the next run is a period after it started', async () => {
    let release: (outcome: ProbeOutcome) => void = () => {};
    const { clock, prober, runs } = harness(() => new Promise<ProbeOutcome>((resolve) => (release = resolve)));
    const start = clock.now();
    prober.sync(key, [target({ livenessProbe: exec({ periodSeconds: 1, timeoutSeconds: 5 }) }, start)]);
    await clock.advance(3000);
    assert.equal(runs.length, 1);
    release({ ok: true, message: '' });
    await settle();
    await clock.advance(1);
    assert.equal(runs.length, 2, 'run again at once: its period is over');
    prober.close();
  });
});

describe('Prober: verdicts', () => {
  test('readiness: not ready until successThreshold passes in a row, ready since then, not ready after failureThreshold failures; every change reported', async () => {
    let healthy = true;
    const { clock, prober, changes } = harness(() => (healthy ? { ok: true, message: 'HTTP 200' } : { ok: false, message: 'HTTP 500' }));
    const start = clock.now();
    prober.sync(key, [target({ readinessProbe: http({ periodSeconds: 1, successThreshold: 2, failureThreshold: 2 }) }, start)]);
    assert.equal(prober.health('c1')?.readyAt, undefined);
    await clock.advance(500);
    assert.equal(prober.health('c1')?.probes.readiness?.healthy, undefined, 'one success of two');
    await clock.advance(1000);
    assert.equal(prober.health('c1')?.probes.readiness?.healthy, true);
    assert.equal(prober.health('c1')?.readyAt, start + 1000);
    assert.deepEqual(changes, ['s']);

    healthy = false;
    await clock.advance(1000);
    assert.equal(prober.health('c1')?.readyAt, start + 1000, 'one failure of two: still ready');
    assert.equal(prober.health('c1')?.probes.readiness?.failure, 'HTTP 500');
    await clock.advance(1000);
    assert.equal(prober.health('c1')?.readyAt, undefined);
    assert.equal(prober.health('c1')?.probes.readiness?.healthy, false);
    assert.deepEqual(changes, ['s', 's']);
    prober.close();
  });

  test('liveness: failureThreshold failures ask for a restart with the failure, and probing stops until the container starts again', async () => {
    const { clock, prober, runs, restarts } = harness(() => ({ ok: false, message: 'connect ECONNREFUSED 172.18.0.5:80' }));
    const start = clock.now();
    const liveness = http({ periodSeconds: 1, failureThreshold: 3 });
    prober.sync(key, [target({ livenessProbe: liveness }, start)]);
    await clock.advance(10_000);
    assert.equal(runs.length, 3);
    assert.deepEqual(restarts, [{ id: 'c1', probe: 'livenessProbe', failure: 'connect ECONNREFUSED 172.18.0.5:80', at: start + 2000 }]);

    prober.sync(key, [target({ livenessProbe: liveness }, start)]);
    await clock.advance(5000);
    assert.equal(runs.length, 3, 'the same run of the container: still halted');

    const restartedAt = clock.now();
    prober.sync(key, [target({ livenessProbe: liveness }, restartedAt)]);
    assert.equal(prober.health('c1')?.probes.liveness, undefined, 'a new start: its probes start over');
    await clock.advance(2500);
    assert.equal(runs.length, 6);
    assert.equal(restarts.length, 2);
    prober.close();
  });

  test('resume: a restart that did not happen lets probing start over', async () => {
    const { clock, prober, runs, restarts } = harness(() => ({ ok: false, message: 'exit code 1' }));
    prober.sync(key, [target({ livenessProbe: exec({ periodSeconds: 1, failureThreshold: 1 }) }, clock.now())]);
    await clock.advance(100);
    assert.equal(restarts.length, 1);
    prober.resume('c1');
    await clock.advance(100);
    assert.equal(runs.length, 2);
    prober.close();
  });

  test('a startup probe runs alone until it succeeds; then liveness and readiness run; a startup failure asks for a restart', async () => {
    let started = false;
    const startup = exec({ periodSeconds: 1, failureThreshold: 5 });
    const readiness = http({ periodSeconds: 1 });
    const liveness = exec({ periodSeconds: 1 });
    const { clock, prober, runs, changes } = harness(({ probe }) => (probe === startup ? { ok: started, message: started ? '' : 'exit code 1' } : { ok: true, message: '' }));
    prober.sync(key, [target({ startupProbe: startup, readinessProbe: readiness, livenessProbe: liveness }, clock.now())]);
    await clock.advance(2500);
    assert.deepEqual(new Set(runs.map((run) => run.probe)), new Set([startup]), 'only the startup probe');
    started = true;
    await clock.advance(1000);
    assert.equal(prober.health('c1')?.probes.startup?.healthy, true);
    await clock.advance(10);
    const after = runs.slice(4).map((run) => run.probe);
    assert.ok(after.includes(readiness) && after.includes(liveness) && !after.includes(startup), 'liveness and readiness at once, startup no more');
    assert.ok(prober.health('c1')?.readyAt !== undefined, 'ready');
    assert.deepEqual(changes, ['s']);
    prober.close();

    const failing = harness(() => ({ ok: false, message: 'exit code 1' }));
    failing.prober.sync(key, [target({ startupProbe: exec({ periodSeconds: 1, failureThreshold: 2 }), livenessProbe: liveness }, failing.clock.now())]);
    await failing.clock.advance(5000);
    assert.deepEqual(failing.restarts.map((restart) => restart.probe), ['startupProbe']);
    failing.prober.close();
  });

  test('a container missing from a sync is no longer probed; an error of the runner counts as a failure', async () => {
    const { clock, prober, runs } = harness(() => {
      throw new Error('socket hang up');
    });
    prober.sync(key, [target({ readinessProbe: http({ periodSeconds: 1 }) }, clock.now())]);
    await clock.advance(100);
    assert.equal(prober.health('c1')?.probes.readiness?.failure, 'socket hang up');
    prober.sync(key, []);
    assert.equal(prober.health('c1'), undefined);
    assert.equal(prober.size, 0);
    await clock.advance(5000);
    assert.equal(runs.length, 1);
  });
});
