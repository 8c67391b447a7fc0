import type { ServiceKey } from '../domain/keys.js';

type ChangeListener = (key: ServiceKey) => void;

/**
 * A region's engine changes, heard by more than one party: a runtime calls one `onChange` (given
 * to `Runtime.start` by the controller), and both the controller and the API's watches must hear
 * it. The API never depends on the controller, so the region carries this fan-out for both.
 */
export class EngineChanges {
  private readonly listeners = new Set<ChangeListener>();

  /** Returns the function that stops listening. */
  listen(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** What a runtime calls for each service whose pods changed. */
  readonly emit = (key: ServiceKey): void => {
    for (const listener of this.listeners) listener(key);
  };
}
