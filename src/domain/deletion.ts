/**
 * A ConfigMap or volume whose DELETE was accepted: it stays listed, and its name taken, until the
 * controller has removed it from the engine (the Kubernetes finalizer pattern). Meanwhile it counts
 * for no service: a ConfigMap being deleted is missing to pods, a volume being deleted cannot be mounted.
 */
export interface DeletionState {
  /** When the DELETE was accepted. */
  since: string;
  /** Why the engine has not removed it yet (the last attempt's error); "" until an attempt failed. */
  message: string;
}

/** The kinds of project resources that live on the engine too, and so are deleted by the controller. */
export type ProjectResourceKind = 'configMap' | 'volume';

/** A ConfigMap or volume of a project in a region. */
export interface ProjectResourceKey {
  kind: ProjectResourceKind;
  region: string;
  project: string;
  name: string;
}

const LABELS: Record<ProjectResourceKind, string> = { configMap: 'ConfigMap', volume: 'volume' };

/** `volume "data" in project "shop"`: a resource as messages name it. */
export function resourceLabel(key: Omit<ProjectResourceKey, 'region'>): string {
  return `${LABELS[key.kind]} "${key.name}" in project "${key.project}"`;
}

/** Why a name cannot be taken, or the object used, while it is being deleted; `consequence` says which. */
export function beingDeletedMessage(key: Omit<ProjectResourceKey, 'region'>, since: string, consequence = 'its name is free again once the engine no longer has it'): string {
  return `${resourceLabel(key)} is being deleted (since ${since}): ${consequence}`;
}
