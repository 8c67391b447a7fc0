import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Container } from '../../src/model/container.js';
import type { Probe, ProbeInput } from '../../src/model/probe.js';
import { WharfError } from '../../src/domain/errors.js';
import {
  activeProbes,
  checkProbes,
  INITIAL_PROBE_STATE,
  isContainerReady,
  mustRestart,
  nextProbeState,
  normalizeProbe,
  normalizeProbes,
  type ContainerProbes,
  type ProbeState,
} from '../../src/domain/probes.js';
import { checkContainers } from '../../src/domain/validation.js';
import { normalizeContainers } from '../../src/domain/template.js';

const TIMINGS = { initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 };

describe('normalizeProbe', () => {
  it("fills Kubernetes' defaults: path /, scheme HTTP, no headers; delay 0, period 10, timeout 1, thresholds 1 and 3", () => {
    assert.deepEqual(normalizeProbe({ httpGet: { port: 8080 } }), { httpGet: { path: '/', port: 8080, scheme: 'HTTP', httpHeaders: [] }, ...TIMINGS });
    assert.deepEqual(normalizeProbe({ tcpSocket: { port: 5432 } }), { tcpSocket: { port: 5432 }, ...TIMINGS });
    assert.deepEqual(normalizeProbe({ exec: { command: ['pg_isready'] } }), { exec: { command: ['pg_isready'] }, ...TIMINGS });
  });

  it('keeps every value given', () => {
    const given: ProbeInput = {
      httpGet: { path: '/ready', port: 443, scheme: 'HTTPS', httpHeaders: [{ name: 'Host', value: 'example.com' }] },
      initialDelaySeconds: 5,
      periodSeconds: 2,
      timeoutSeconds: 4,
      successThreshold: 3,
      failureThreshold: 7,
    };
    assert.deepEqual(normalizeProbe(given), given);
  });

  it('a probe given in full and one left to the defaults normalise (and so hash) the same', () => {
    assert.deepEqual(normalizeProbe({ tcpSocket: { port: 80 } }), normalizeProbe({ tcpSocket: { port: 80 }, ...TIMINGS }));
  });

  it('normalizeProbes leaves absent probes absent, so a container without probes keeps its old shape', () => {
    assert.deepEqual(normalizeProbes({}), {});
    assert.deepEqual(Object.keys(normalizeProbes({ livenessProbe: { tcpSocket: { port: 80 } } })), ['livenessProbe']);
    assert.deepEqual(Object.keys(normalizeContainers([{ image: 'nginx' }])[0]!).sort(), ['args', 'command', 'configs', 'envs', 'image', 'name', 'volumeMounts', 'workingDir']);
  });
});

describe('checkProbes: every message names the field', () => {
  const container = (probes: Partial<Record<'readinessProbe' | 'livenessProbe' | 'startupProbe', ProbeInput>>): Container =>
    normalizeContainers([{ name: 'web', image: 'nginx', ...probes }])[0]!;
  const refused = (probes: Parameters<typeof container>[0], key: string, message: RegExp): void => {
    assert.throws(
      () => checkProbes(container(probes), 'containers[0]'),
      (error: unknown) => {
        assert.ok(error instanceof WharfError, `a WharfError, not ${String(error)}`);
        assert.equal(error.code, 'InvalidArgs');
        assert.equal(error.key, key);
        assert.ok(error.message.startsWith(`${key} `), `"${error.message}" starts with the field ${key}`);
        assert.match(error.message, message);
        return true;
      },
    );
  };

  it('a probe without a handler', () => {
    for (const kind of ['readinessProbe', 'livenessProbe', 'startupProbe'] as const) {
      refused({ [kind]: {} }, `containers[0].${kind}`, /exactly one of httpGet, tcpSocket and exec; none is set/);
    }
  });

  it('a probe with two or three handlers', () => {
    refused({ readinessProbe: { httpGet: { port: 80 }, tcpSocket: { port: 80 } } }, 'containers[0].readinessProbe', /httpGet and tcpSocket are set/);
    refused({ livenessProbe: { httpGet: { port: 80 }, tcpSocket: { port: 80 }, exec: { command: ['true'] } } }, 'containers[0].livenessProbe', /httpGet and tcpSocket and exec are set/);
  });

  it('successThreshold above 1 on a liveness or startup probe; a readiness probe may ask for more', () => {
    refused({ livenessProbe: { tcpSocket: { port: 80 }, successThreshold: 2 } }, 'containers[0].livenessProbe.successThreshold', /must be 1 \(it is 2\)/);
    refused({ startupProbe: { exec: { command: ['true'] }, successThreshold: 3 } }, 'containers[0].startupProbe.successThreshold', /must be 1 \(it is 3\)/);
    assert.doesNotThrow(() => checkProbes(container({ readinessProbe: { tcpSocket: { port: 80 }, successThreshold: 5 } }), 'containers[0]'));
  });

  it('checkContainers checks the probes of each container under its own index', () => {
    const containers = normalizeContainers([{ name: 'a', image: 'nginx' }, { name: 'b', image: 'nginx', startupProbe: {} }]);
    assert.throws(() => checkContainers('stateless', containers, { allowedRegistries: undefined }), (error: unknown) => error instanceof WharfError && error.key === 'containers[1].startupProbe');
  });

  it('a container with one valid probe of each kind passes', () => {
    assert.doesNotThrow(() =>
      checkProbes(
        container({ readinessProbe: { httpGet: { port: 80 } }, livenessProbe: { tcpSocket: { port: 80 } }, startupProbe: { exec: { command: ['true'] } } }),
        'containers[0]',
      ),
    );
  });
});

describe('nextProbeState: verdicts change only on a run of successThreshold or failureThreshold results', () => {
  const probe: Probe = { tcpSocket: { port: 80 }, ...TIMINGS, successThreshold: 2, failureThreshold: 3 };
  const run = (results: boolean[], from: ProbeState = INITIAL_PROBE_STATE): ProbeState[] => {
    const states: ProbeState[] = [];
    let state = from;
    for (const result of results) states.push((state = nextProbeState(state, probe, result)));
    return states;
  };

  it('no verdict before the first threshold is reached', () => {
    assert.deepEqual(run([true]).map((state) => state.healthy), [undefined]);
    assert.deepEqual(run([false, false]).map((state) => state.healthy), [undefined, undefined]);
  });

  it('healthy after successThreshold successes in a row, unhealthy after failureThreshold failures in a row', () => {
    assert.deepEqual(run([true, true]).map((state) => state.healthy), [undefined, true]);
    assert.deepEqual(run([true, true, false, false, false]).map((state) => state.healthy), [undefined, true, true, true, false]);
  });

  it('a result that breaks the run starts the count again', () => {
    const states = run([false, false, true, false, false, true, true]);
    assert.deepEqual(states.map((state) => state.healthy), [undefined, undefined, undefined, undefined, undefined, undefined, true]);
    assert.deepEqual(states.map((state) => state.run), [1, 2, 1, 1, 2, 1, 2]);
  });

  it('the last failure is kept for the message; a success clears it', () => {
    assert.equal(nextProbeState(INITIAL_PROBE_STATE, probe, false, 'HTTP 500').failure, 'HTTP 500');
    assert.equal(nextProbeState(INITIAL_PROBE_STATE, probe, false).failure, 'probe failed');
    assert.equal(nextProbeState({ run: 1, last: false, failure: 'x' }, probe, true).failure, undefined);
  });

  it('with thresholds of 1 every result is the verdict', () => {
    const once: Probe = { ...probe, successThreshold: 1, failureThreshold: 1 };
    assert.equal(nextProbeState(INITIAL_PROBE_STATE, once, false).healthy, false);
    assert.equal(nextProbeState({ healthy: false, last: false, run: 4 }, once, true).healthy, true);
  });
});

describe('activeProbes, isContainerReady, mustRestart', () => {
  const probe: Probe = { tcpSocket: { port: 80 }, ...TIMINGS };
  const all = { startupProbe: probe, livenessProbe: probe, readinessProbe: probe };
  const healthy: ProbeState = { healthy: true, last: true, run: 1 };
  const unhealthy: ProbeState = { healthy: false, last: false, run: 3 };

  it('until the startup probe succeeds it alone runs; then liveness and readiness', () => {
    assert.deepEqual(activeProbes(all, {}), ['startupProbe']);
    assert.deepEqual(activeProbes(all, { startup: { run: 2, last: false } }), ['startupProbe']);
    assert.deepEqual(activeProbes(all, { startup: unhealthy }), ['startupProbe']);
    assert.deepEqual(activeProbes(all, { startup: healthy }), ['livenessProbe', 'readinessProbe']);
  });

  it('without a startup probe, liveness and readiness run from the start; only the probes the container has', () => {
    assert.deepEqual(activeProbes({ livenessProbe: probe, readinessProbe: probe }, {}), ['livenessProbe', 'readinessProbe']);
    assert.deepEqual(activeProbes({ readinessProbe: probe }, {}), ['readinessProbe']);
    assert.deepEqual(activeProbes({}, {}), []);
  });

  it('a container without probes is ready once running', () => {
    assert.equal(isContainerReady({}, {}), true);
  });

  it('a readiness probe without a verdict yet, or failing, means not ready', () => {
    assert.equal(isContainerReady({ readinessProbe: probe }, {}), false);
    assert.equal(isContainerReady({ readinessProbe: probe }, { readiness: { run: 1, last: true } }), false);
    assert.equal(isContainerReady({ readinessProbe: probe }, { readiness: unhealthy }), false);
    assert.equal(isContainerReady({ readinessProbe: probe }, { readiness: healthy }), true);
  });

  it('a startup probe holds readiness until it succeeds, even without a readiness probe', () => {
    assert.equal(isContainerReady({ startupProbe: probe }, {}), false);
    assert.equal(isContainerReady({ startupProbe: probe }, { startup: healthy }), true);
    assert.equal(isContainerReady({ startupProbe: probe, readinessProbe: probe }, { startup: healthy }), false);
    assert.equal(isContainerReady({ startupProbe: probe, readinessProbe: probe }, { startup: healthy, readiness: healthy }), true);
  });

  it('a liveness probe does not gate readiness', () => {
    assert.equal(isContainerReady({ livenessProbe: probe }, { liveness: unhealthy }), true);
  });

  it('restart on a failed liveness or startup verdict, never on readiness or a verdict still to come', () => {
    const states = (probes: ContainerProbes) => mustRestart(probes);
    assert.equal(states({}), undefined);
    assert.equal(states({ readiness: unhealthy }), undefined);
    assert.equal(states({ liveness: { run: 2, last: false } }), undefined);
    assert.equal(states({ liveness: unhealthy }), 'livenessProbe');
    assert.equal(states({ startup: unhealthy }), 'startupProbe');
    assert.equal(states({ startup: unhealthy, liveness: unhealthy }), 'startupProbe');
    assert.equal(states({ startup: healthy, liveness: healthy, readiness: unhealthy }), undefined);
  });
});
