import type { EventInput } from './events.js';
import type { Container, ContainerInput, ContainerPatch } from '../model/container.js';
import type { GpuSpec, GpuSpecInput, Port, ServiceCreate, ServiceType, ServiceUpgrade } from '../model/service.js';
import { PROBE_KINDS } from '../model/probe.js';
import { invalidArgs, WharfError } from './errors.js';
import { serviceLabel, V2_APP, type ServiceKey } from './keys.js';
import { DEFAULT_ROLLOUT_SETTINGS, startRollout, type RolloutRecord, type RolloutSettings } from './rollout.js';
import { normalizeContainers, templateHash, type Template } from './template.js';
import {
  checkContainers,
  checkGpuSpec,
  checkInstanceNumber,
  checkPorts,
  checkResourceSpec,
  type RegionPolicy,
} from './validation.js';

/** The desired state of one microservice: what the store keeps and the controller converges to. */
export interface ServiceState {
  key: ServiceKey;
  /** New for every creation, so pods of a deleted service of the same name are never adopted. */
  uid: string;
  type: ServiceType;
  resourceSpec: string;
  containers: Container[];
  /** Undefined: no GPU. */
  gpuSpec?: GpuSpec;
  instanceNumber: number;
  stopped: boolean;
  ports: Port[];
  revision: number;
  templateHash: string;
  /** How rollouts judge pods and progress (not part of the template). */
  rollout: RolloutSettings;
  /** Where the current revision's rollout stands; undefined until the controller first looked. */
  rolloutRecord?: RolloutRecord;
  creationTime: string;
  updateTime: string;
}

/**
 * A service's desired state as the controller converges to it and the API shows it: with the hash
 * its pods carry, which also covers the ConfigMaps it reads (see podTemplateHash in configmaps.ts).
 */
export interface DesiredService extends ServiceState {
  podTemplateHash: string;
}

export interface RevisionRecord {
  revision: number;
  resourceSpec: string;
  containers: Container[];
  gpuSpec?: GpuSpec;
  templateHash: string;
  creationTimestamp: string;
}

/** A change to commit: the service's new state, the revision it opens, if any, and what it records. */
export interface ServiceChange {
  state: ServiceState;
  newRevision?: RevisionRecord;
  /** Committed with the change (the service's events list): what a user did, in their words. */
  events?: ServiceEvent[];
}

/** An event of the service being changed. */
export type ServiceEvent = Omit<EventInput, 'key'>;

function revisionOf(template: Template, revision: number, now: string): RevisionRecord {
  return { revision, ...template, templateHash: templateHash(template), creationTimestamp: now };
}

/** Validates a create request (`at` prefixes field names) and builds the first state and revision 1. */
export function createService(
  key: ServiceKey,
  input: ServiceCreate,
  policy: RegionPolicy,
  ids: { uid: string; now: string },
  at = '',
): ServiceChange {
  if (input.appName !== undefined && input.appName !== key.app) {
    const path = key.app === V2_APP ? 'a V2 microservice belongs to no app' : `the app in the path is "${key.app}"`;
    throw invalidArgs(`${at}appName "${input.appName}" does not match the path: ${path}`);
  }
  if (input.projectName !== undefined && input.projectName !== key.project) {
    throw invalidArgs(`${at}projectName "${input.projectName}" does not match the project in the path ("${key.project}")`);
  }
  const instanceNumber = input.instanceNumber ?? 1;
  const template = templateOf(input.resourceSpec, normalizeContainers(input.containers), gpusOf(input.gpuSpec));
  checkInstanceNumber(input.type, instanceNumber, policy, `${at}instanceNumber`);
  checkTemplate(input.type, template, policy, at);
  const ports = normalizePorts(input.ports ?? []);
  checkPorts(ports, policy, at);
  const rollout = rolloutSettings(
    { ...DEFAULT_ROLLOUT_SETTINGS, minReadySeconds: policy.defaultMinReadySeconds ?? DEFAULT_ROLLOUT_SETTINGS.minReadySeconds },
    input,
    at,
  );

  const first = revisionOf(template, 1, ids.now);
  return {
    state: {
      key,
      uid: ids.uid,
      type: input.type,
      ...template,
      instanceNumber,
      stopped: false,
      ports,
      revision: 1,
      templateHash: first.templateHash,
      rollout,
      rolloutRecord: startRollout(undefined, 1, ids.now),
      creationTime: ids.now,
      updateTime: ids.now,
    },
    newRevision: first,
    events: [{
      type: 'Normal',
      reason: 'Created',
      message: `created ${input.type} microservice ${serviceLabel(key)} at revision 1 with ${instanceNumber} instance(s) of ${imagesOf(template)}`,
      revision: 1,
      time: ids.now,
    }],
  };
}

/** `number: 0` asks for no GPU: the service then has no gpuSpec at all. */
export function gpusOf(input: GpuSpecInput | undefined): GpuSpec | undefined {
  return input && input.number > 0 ? { type: input.type, number: input.number } : undefined;
}

/** A template without GPUs has no gpuSpec key, so it reads, compares and stores as one from before GPUs. */
function templateOf(resourceSpec: string, containers: Container[], gpuSpec: GpuSpec | undefined): Template {
  return gpuSpec ? { resourceSpec, containers, gpuSpec } : { resourceSpec, containers };
}

function checkTemplate(type: ServiceType, template: Template, policy: RegionPolicy, at = ''): void {
  checkResourceSpec(template.resourceSpec, policy, at);
  if (template.gpuSpec) checkGpuSpec(template.gpuSpec, policy, at);
  checkContainers(type, template.containers, policy, at);
}

/**
 * A servicePort equal to its port says nothing more than its absence: it is dropped, so the stored
 * ports (and the answer) carry one only where the service answers on another port.
 */
export function normalizePorts(ports: Port[]): Port[] {
  return ports.map(({ servicePort, ...port }) => (servicePort === undefined || servicePort === port.port ? port : { ...port, servicePort }));
}

/**
 * The rollout settings after a request: each field given replaces the current one. The deadline
 * must leave a pod time to become available: more than minReadySeconds.
 */
export function rolloutSettings(current: RolloutSettings, input: Partial<RolloutSettings>, at = ''): RolloutSettings {
  const settings: RolloutSettings = {
    minReadySeconds: input.minReadySeconds ?? current.minReadySeconds,
    progressDeadlineSeconds: input.progressDeadlineSeconds ?? current.progressDeadlineSeconds,
    autoRollback: input.autoRollback ?? current.autoRollback,
  };
  if (settings.progressDeadlineSeconds <= settings.minReadySeconds) {
    throw invalidArgs(
      `${at}progressDeadlineSeconds (${settings.progressDeadlineSeconds}) must be more than minReadySeconds (${settings.minReadySeconds}): ` +
        'a pod needs minReadySeconds to become available',
      `${at}progressDeadlineSeconds`,
    );
  }
  return settings;
}

function sameSettings(a: RolloutSettings, b: RolloutSettings): boolean {
  return a.minReadySeconds === b.minReadySeconds && a.progressDeadlineSeconds === b.progressDeadlineSeconds && a.autoRollback === b.autoRollback;
}

/**
 * Moves a service to a template; a new revision only when the template differs from the current
 * one, and then a new rollout (`rollout` says why: an upgrade, or an automatic rollback).
 */
function applyTemplate(
  current: ServiceState,
  template: Template,
  now: string,
  event: ServiceEvent,
  rollout: { reason?: string; message?: string } = {},
): ServiceChange {
  const hash = templateHash(template);
  if (hash === current.templateHash) return { state: current };
  const newRevision = revisionOf(template, current.revision + 1, now);
  // The current GPUs go first: a template without any removes them.
  const { gpuSpec: _replaced, ...rest } = current;
  return {
    state: {
      ...rest,
      ...template,
      revision: newRevision.revision,
      templateHash: hash,
      rolloutRecord: startRollout(current.rolloutRecord, newRevision.revision, now, rollout.reason, rollout.message),
      updateTime: now,
    },
    newRevision,
    events: [{ ...event, message: `revision ${newRevision.revision}: ${event.message}`, revision: newRevision.revision, time: now }],
  };
}

export function upgradeService(
  current: ServiceState,
  input: ServiceUpgrade,
  policy: RegionPolicy,
  now: string,
): ServiceChange {
  const settingsGiven = input.minReadySeconds !== undefined || input.progressDeadlineSeconds !== undefined || input.autoRollback !== undefined;
  if (input.resourceSpec === undefined && input.containers === undefined && input.gpuSpec === undefined && !settingsGiven) {
    throw invalidArgs('the body must set resourceSpec, containers, gpuSpec or a rollout setting (minReadySeconds, progressDeadlineSeconds, autoRollback)');
  }
  const rollout = rolloutSettings(current.rollout, input);
  // The settings are not part of the template: a change of them alone opens no revision.
  const withSettings = sameSettings(rollout, current.rollout) ? current : { ...current, rollout, updateTime: now };
  const template = templateOf(
    input.resourceSpec ?? current.resourceSpec,
    input.containers ? mergeContainers(current, input.containers) : current.containers,
    input.gpuSpec === undefined ? current.gpuSpec : gpusOf(input.gpuSpec),
  );
  checkTemplate(current.type, template, policy);
  return applyTemplate(withSettings, template, now, { type: 'Normal', reason: 'Upgraded', message: `upgraded to ${template.resourceSpec} with ${imagesOf(template)}` });
}

/**
 * The upgrade's containers, in their order, each merged by name into the current container of that
 * name (a container without a name is `container-<index>`, as at creation): what the patch leaves
 * absent is kept. A name the service lacks starts a new container, which needs an image, so a
 * misspelled name is refused rather than silently becoming a second container.
 */
export function mergeContainers(current: Pick<ServiceState, 'key' | 'containers'>, patches: ContainerPatch[]): Container[] {
  return patches.map((patch, index) => {
    const name = patch.name ?? `container-${index}`;
    const existing = current.containers.find((container) => container.name === name);
    const given = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
    // A probe given as {} is removed: null already means "kept" for Go clients.
    const removed = PROBE_KINDS.filter((kind) => patch[kind] !== undefined && Object.keys(patch[kind]).length === 0);
    // A stored container passed validation when it was written: it reads back as an input.
    if (existing) return withoutKeys(normalizeContainers([{ ...(existing as ContainerInput), ...given, name }])[0]!, removed);
    if (patch.image === undefined) {
      const names = current.containers.map((container) => container.name).join(', ');
      throw invalidArgs(
        `containers[${index}]: no container "${name}" in service ${current.key.service} (has: ${names}); a new container needs an image`,
        `containers[${index}].image`,
      );
    }
    return withoutKeys(normalizeContainers([{ ...patch, image: patch.image, name }])[0]!, removed);
  });
}

function withoutKeys<T extends object>(value: T, keys: readonly (keyof T)[]): T {
  if (keys.length === 0) return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => !keys.includes(key as keyof T))) as T;
}

/** Rolling back to the current revision changes nothing; otherwise it opens revision max+1 with the old template. */
export function rollbackService(
  current: ServiceState,
  target: RevisionRecord,
  now: string,
  automatic?: { message: string },
): ServiceChange {
  const template = templateOf(target.resourceSpec, target.containers, target.gpuSpec);
  if (!automatic) {
    return applyTemplate(current, template, now, { type: 'Normal', reason: 'RolledBack', message: `rolled back to the template of revision ${target.revision}` });
  }
  return applyTemplate(current, template, now, { type: 'Warning', reason: 'RolledBack', message: automatic.message }, { reason: 'RolledBack', message: automatic.message });
}

export function scaleService(current: ServiceState, count: number, policy: RegionPolicy, now: string): ServiceChange {
  if (current.type === 'stateful') {
    throw new WharfError('OperationForbbiden', `service "${current.key.service}" is stateful: it runs exactly one instance and cannot be scaled`);
  }
  checkInstanceNumber(current.type, count, policy, 'count');
  if (count === current.instanceNumber) return { state: current };
  const stays = current.stopped ? ' (stopped: no pod runs until it is started)' : '';
  return {
    state: { ...current, instanceNumber: count, updateTime: now },
    events: [{ type: 'Normal', reason: 'Scaled', message: `scaled from ${current.instanceNumber} to ${count} instance(s)${stays}`, revision: current.revision, time: now }],
  };
}

export function setStopped(current: ServiceState, stopped: boolean, now: string): ServiceChange {
  if (current.stopped === stopped) return { state: current };
  // A stopped service makes no progress, and is not judged for it: a start gives a rollout under way its whole deadline again.
  const record = current.rolloutRecord;
  const restarted = !stopped && record && (record.state === 'progressing' || record.state === 'rolledBack')
    ? { rolloutRecord: { ...record, progressTime: now, availableAtProgress: 0 } }
    : {};
  const event: ServiceEvent = stopped
    ? { type: 'Normal', reason: 'Stopped', message: 'stopped: every pod is removed', revision: current.revision, time: now }
    : { type: 'Normal', reason: 'Started', message: `started: ${current.instanceNumber} instance(s) run again`, revision: current.revision, time: now };
  return { state: { ...current, stopped, updateTime: now, ...restarted }, events: [event] };
}

export function setPorts(current: ServiceState, input: Port[], policy: RegionPolicy, now: string): ServiceChange {
  const ports = normalizePorts(input);
  checkPorts(ports, policy);
  return { state: { ...current, ports, updateTime: now } };
}

/** `nginx:1.27, busybox:1.36`: the images of a template, as event messages name them. */
function imagesOf(template: Template): string {
  const images = [...new Set(template.containers.map((container) => container.image))];
  return `image${images.length === 1 ? '' : 's'} ${images.join(', ')}`;
}

/**
 * Revisions to delete once `kept` is the list after a change: all but the newest `limit`,
 * and never the current one.
 */
export function revisionsToPrune(kept: number[], limit: number, current: number): number[] {
  const newestFirst = [...kept].sort((a, b) => b - a);
  return newestFirst.slice(Math.max(limit, 1)).filter((revision) => revision !== current);
}
