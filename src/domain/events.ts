import type { ServiceKey } from './keys.js';

/** As on Kubernetes: Normal for what went as asked, Warning for what a user should look at. */
export type EventType = 'Normal' | 'Warning';

/**
 * Something that happened to a service, one of its pods or containers: what `GET …/events`
 * lists (folded with its repeats) and what the events watch streams. Recorded by the API for the
 * changes it commits, by the controller for what it does, by a runtime for what its engine did.
 */
export interface EventInput {
  key: ServiceKey;
  type: EventType;
  /** A short UpperCamelCase word, Kubernetes' where one exists: Created, BackOff, Unhealthy, … */
  reason: string;
  /** A sentence for a person, naming what and why. */
  message: string;
  pod?: string;
  container?: string;
  revision?: number;
  /** When it happened (ISO 8601); when it was recorded if absent. */
  time?: string;
}

/** Where events go. Never throws and never waits: an event lost to a failing store is logged, not a failed request. */
export interface EventRecorder {
  record(event: EventInput): void;
}

/** A recorder that writes in order, in the background, and says when what it was given is written. */
export interface QueuedEventRecorder extends EventRecorder {
  /** Resolves once every event recorded so far is written, or lost to a failed write (logged). */
  flushed(): Promise<void>;
}
