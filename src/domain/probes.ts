import { PROBE_KINDS, type Probe, type ProbeInput, type ProbeKind } from '../model/probe.js';
import type { Container } from '../model/container.js';
import { invalidArgs } from './errors.js';

const HANDLERS = ['httpGet', 'tcpSocket', 'exec'] as const;

/** A probe with Kubernetes' defaults filled, so equal probes hash equal whatever the client left out. */
export function normalizeProbe(input: ProbeInput): Probe {
  const { httpGet, tcpSocket, exec } = input;
  return {
    ...(httpGet ? { httpGet: { path: httpGet.path ?? '/', port: httpGet.port, scheme: httpGet.scheme ?? 'HTTP', httpHeaders: httpGet.httpHeaders ?? [] } } : {}),
    ...(tcpSocket ? { tcpSocket: { port: tcpSocket.port } } : {}),
    ...(exec ? { exec: { command: exec.command } } : {}),
    initialDelaySeconds: input.initialDelaySeconds ?? 0,
    periodSeconds: input.periodSeconds ?? 10,
    timeoutSeconds: input.timeoutSeconds ?? 1,
    successThreshold: input.successThreshold ?? 1,
    failureThreshold: input.failureThreshold ?? 3,
  };
}

/** The container's probes, absent ones left out, each normalised. */
export function normalizeProbes(input: Partial<Record<ProbeKind, ProbeInput>>): Partial<Record<ProbeKind, Probe>> {
  return Object.fromEntries(PROBE_KINDS.flatMap((kind) => (input[kind] ? [[kind, normalizeProbe(input[kind])]] : [])));
}

/** The rules of Kubernetes' validation a JSON schema cannot say; `at` names the container (`containers[0]`). */
export function checkProbes(container: Container, at: string): void {
  for (const kind of PROBE_KINDS) {
    const probe = container[kind];
    if (!probe) continue;
    const handlers = HANDLERS.filter((handler) => probe[handler] !== undefined);
    if (handlers.length !== 1) {
      const given = handlers.length === 0 ? 'none is set' : `${handlers.join(' and ')} are set`;
      throw invalidArgs(`${at}.${kind} must set exactly one of httpGet, tcpSocket and exec; ${given}`, `${at}.${kind}`);
    }
    if (kind !== 'readinessProbe' && probe.successThreshold !== 1) {
      throw invalidArgs(`${at}.${kind}.successThreshold must be 1 (it is ${probe.successThreshold}): only a readiness probe can ask for more`, `${at}.${kind}.successThreshold`);
    }
  }
}

/** What a runtime remembers of one probe of one container between two of its runs. */
export interface ProbeState {
  /** The verdict so far: undefined before the thresholds were first reached. */
  healthy?: boolean;
  /** The last result and how many times in a row it came. */
  last?: boolean;
  run: number;
  /** Why the last probe failed, for the container's message. */
  failure?: string;
}

export const INITIAL_PROBE_STATE: ProbeState = { run: 0 };

/**
 * Pure: the state after one more result, with Kubernetes' rule: the verdict changes only once
 * `successThreshold` successes or `failureThreshold` failures come in a row.
 */
export function nextProbeState(state: ProbeState, probe: Probe, success: boolean, failure?: string): ProbeState {
  const run = state.last === success ? state.run + 1 : 1;
  const reached = run >= (success ? probe.successThreshold : probe.failureThreshold);
  return {
    ...(reached ? { healthy: success } : state.healthy === undefined ? {} : { healthy: state.healthy }),
    last: success,
    run,
    ...(success ? {} : { failure: failure ?? 'probe failed' }),
  };
}

/** Where a running container's probes stand, as a runtime tracks them. */
export interface ContainerProbes {
  startup?: ProbeState;
  liveness?: ProbeState;
  readiness?: ProbeState;
}

/**
 * Pure: which of the container's probes run now. While a startup probe has not succeeded, it alone
 * runs (Kubernetes holds the others back); after, liveness and readiness run.
 */
export function activeProbes(container: Pick<Container, ProbeKind>, states: ContainerProbes): ProbeKind[] {
  if (container.startupProbe && states.startup?.healthy !== true) return ['startupProbe'];
  return (['livenessProbe', 'readinessProbe'] as const).filter((kind) => container[kind] !== undefined);
}

/**
 * Pure: whether a running container counts as ready: its startup probe succeeded and its readiness
 * probe passes (a container without them is ready once running). A readiness probe that has not
 * yet reached a verdict means not ready, as on Kubernetes.
 */
export function isContainerReady(container: Pick<Container, ProbeKind>, states: ContainerProbes): boolean {
  if (container.startupProbe && states.startup?.healthy !== true) return false;
  if (container.readinessProbe && states.readiness?.healthy !== true) return false;
  return true;
}

/** Pure: the container must be restarted: its liveness probe, or its startup probe, reached failure. */
export function mustRestart(states: ContainerProbes): 'livenessProbe' | 'startupProbe' | undefined {
  if (states.startup?.healthy === false) return 'startupProbe';
  if (states.liveness?.healthy === false) return 'livenessProbe';
  return undefined;
}
