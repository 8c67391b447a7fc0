import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { normalizeProbe } from '../../../src/domain/probes.js';
import { ContainerHealthMonitor } from '../../../src/runtime/docker/container-health.js';
import type { InspectedContainer } from '../../../src/runtime/docker/container-records.js';
import { LABEL } from '../../../src/runtime/docker/labels.js';
import type { CachedPodEntry } from '../../../src/runtime/docker/pod-cache.js';
import type { ContainerFacts } from '../../../src/runtime/docker/pod-status.js';
import { FakeClock, settle } from './fake-clock.js';

const key = { region: 'eu', project: 'p', app: 'a', service: 's' };
const silent = { warn: () => {}, info: () => {}, error: () => {} } as unknown as Logger;

/** An engine whose inspections answer what `states` holds (resolved when the test says), recording stops and starts. */
function fakeEngine() {
  const states = new Map<string, InspectedContainer>();
  const inspected: string[] = [];
  const calls: string[] = [];
  let hold: Array<() => void> | undefined;
  const docker = {
    getContainer: (id: string) => ({
      inspect: async () => {
        inspected.push(id);
        const answer = states.get(id)!;
        if (hold) await new Promise<void>((resolve) => hold!.push(resolve));
        return answer;
      },
      stop: async (options: { t: number }) => {
        calls.push(`stop ${id} t=${options.t}`);
      },
      start: async () => {
        calls.push(`start ${id}`);
      },
    }),
  } as unknown as Docker;
  return {
    docker,
    states,
    inspected,
    calls,
    holdInspections: () => (hold = []),
    release: () => {
      const waiting = hold ?? [];
      hold = undefined;
      waiting.forEach((resolve) => resolve());
    },
  };
}

const running = (startedAt: string, restarts = 0): InspectedContainer => ({ RestartCount: restarts, State: { Running: true, StartedAt: startedAt, FinishedAt: '0001-01-01T00:00:00Z', ExitCode: 0, OOMKilled: false } });

function container(id: string, state = 'running', probes: ContainerFacts['probes'] = {}): ContainerFacts {
  return { id, labels: { [LABEL.role]: 'container', [LABEL.container]: 'web' }, state, status: state, created: 0, hostPorts: [], probes };
}
const sandbox: ContainerFacts = { id: 'sb', labels: { [LABEL.role]: 'sandbox' }, state: 'running', status: 'Up', created: 0, hostPorts: [], ip: '172.18.0.2', probes: {} };
const pod = (...containers: ContainerFacts[]): CachedPodEntry[] => [{ name: 'pod-1', containers: [sandbox, ...containers], busy: false }];

describe('ContainerHealthMonitor', () => {
  test('inspects a spec container when first seen (never a sandbox), not on every listing; again after a reconnect', async () => {
    const engine = fakeEngine();
    engine.states.set('c1', running('2026-01-01T10:00:00.5Z'));
    const notified: string[] = [];
    const health = new ContainerHealthMonitor({ docker: engine.docker, log: silent, stopGraceSeconds: 10, notify: (changed) => notified.push(changed.service), leads: () => true });
    health.observe(key, pod(container('c1')));
    await settle();
    assert.deepEqual(engine.inspected, ['c1']);
    assert.equal(health.healthOf(container('c1'))?.startedAt, Date.parse('2026-01-01T10:00:00.5Z'));
    assert.deepEqual(notified, ['s'], 'what the pod shows changed');
    health.observe(key, pod(container('c1')));
    await settle();
    assert.deepEqual(engine.inspected, ['c1'], 'a listing is no reason to inspect again');
    health.reconnected();
    health.observe(key, pod(container('c1')));
    await settle();
    assert.deepEqual(engine.inspected, ['c1', 'c1']);
    health.close();
  });

  test('an inspection answer overtaken by a die event is dropped and the container inspected again', async () => {
    const engine = fakeEngine();
    engine.states.set('c1', running('2026-01-01T10:00:00Z'));
    const health = new ContainerHealthMonitor({ docker: engine.docker, log: silent, stopGraceSeconds: 10, notify: () => {}, leads: () => true });
    engine.holdInspections();
    health.observe(key, pod(container('c1')));
    await settle();
    health.event({ id: 'c1', action: 'die', key, at: Date.parse('2026-01-01T10:00:01Z'), exitCode: 2 });
    engine.states.set('c1', { RestartCount: 1, State: { Running: true, Restarting: true, StartedAt: '2026-01-01T10:00:00Z', FinishedAt: '2026-01-01T10:00:01Z', ExitCode: 2, OOMKilled: false } });
    engine.release();
    await settle();
    await settle();
    const seen = health.healthOf(container('c1'));
    assert.equal(seen?.startedAt, undefined, 'the start of the run that died is not brought back');
    assert.deepEqual(seen?.lastState, { exitCode: 2, reason: 'Error', finishedAt: '2026-01-01T10:00:01.000Z' });
    assert.equal(seen?.restartCount, 1);
    assert.equal(engine.inspected.length, 2);
    health.close();
  });

  /** A container whose liveness probe fails from the start, under a monitor of a replica that leads or not; returns after the failure threshold. */
  async function failingLiveness(leads: boolean) {
    const engine = fakeEngine();
    const clock = new FakeClock();
    const started = new Date(clock.now()).toISOString();
    engine.states.set('c1', running(started));
    const liveness = normalizeProbe({ httpGet: { port: 80 }, periodSeconds: 1, failureThreshold: 2 });
    const probed = container('c1', 'running', { livenessProbe: liveness });
    const health = new ContainerHealthMonitor({
      docker: engine.docker,
      log: silent,
      stopGraceSeconds: 7,
      notify: () => {},
      leads: () => leads,
      prober: { clock, random: () => 0, run: async (address) => ({ ok: false, message: `HTTP 503 from ${address.ip}` }) },
    });
    health.observe(key, pod(probed));
    await settle();
    health.observe(key, pod(probed)); // the inspection's notify re-observes: the prober now knows its start
    await clock.advance(1500);
    await settle();
    return { engine, clock, probed, health };
  }

  test("a follower's failed liveness probe restarts nothing: the region's leader probes too, and restarts", async () => {
    const { engine, probed, health } = await failingLiveness(false);
    assert.deepEqual(engine.calls, [], 'no stop, no start');
    assert.equal(health.healthOf(probed)?.probes.liveness?.healthy, false, 'the follower saw the probe fail all the same');
    health.close();
  });

  test('a failed liveness probe: stop with the grace period, start; counted at once; restarting until listed running again', async () => {
    const { engine, clock, probed, health } = await failingLiveness(true);
    assert.deepEqual(engine.calls, ['stop c1 t=7', 'start c1']);
    const restarting = health.healthOf(container('c1', 'exited'));
    assert.equal(restarting?.restartCount, 1);
    assert.deepEqual(restarting?.restarting, { probe: 'livenessProbe', failure: 'HTTP 503 from 172.18.0.2' });

    // The engine's events: die (Wharf's stop), start; then the pod is listed running again.
    health.event({ id: 'c1', action: 'die', key, at: clock.now(), exitCode: 143 });
    engine.states.set('c1', running(new Date(clock.now() + 10).toISOString()));
    health.event({ id: 'c1', action: 'start', key, at: clock.now() + 10 });
    await settle();
    health.observe(key, pod(probed));
    const after = health.healthOf(probed);
    assert.equal(after?.restarting, undefined);
    assert.equal(after?.restartCount, 1, "Docker's count reset to 0 by the start; Wharf's restart counted");
    assert.equal(after?.lastState?.exitCode, 143);
    assert.deepEqual(after?.probes, {}, 'its probes start over');
    health.close();
  });
});
