import type { ApiPaths } from './api.js';
import type { Answer } from './server-process.js';

/** Where a write goes: any replica's API. */
export interface WriteTarget {
  request(method: string, path: string, body?: unknown): Promise<Answer>;
}

/** A service's fields the writes set. */
interface ServiceValues {
  exists: boolean;
  instanceNumber: number;
  stopped: boolean;
  /** The value of the env ROUND, which each upgrade changes. */
  round: string;
}

/**
 * What a service may hold now, field by field: the value of the last acknowledged write to the
 * field, and that of every later write whose answer was lost (a connection cut, a 5xx: it may
 * have committed). A field no unanswered write touched has exactly one value.
 */
type ServiceModel = { app: string; name: string } & { [Field in keyof ServiceValues]: Set<ServiceValues[Field]> };

interface AppModel {
  name: string;
  exists: Set<boolean>;
}

interface Write {
  method: string;
  path: string;
  body?: unknown;
  /** The targets that may be gone: a 404 then means the write found nothing, which is no error. */
  mayBeMissing: boolean;
  apps: Array<[AppModel, boolean]>;
  services: Array<[ServiceModel, Partial<ServiceValues>]>;
}

/** The most services that may exist at once: enough to keep every kind of write busy, few enough for a small engine. */
const MAX_SERVICES = 5;

/**
 * A client that writes, one request at a time, through whichever replica it is given: it creates
 * apps and services, scales, upgrades, stops, starts and deletes them, and remembers what each
 * write may have left, so that the state found at the end can be checked against every write
 * that was acknowledged.
 */
export class ChaosWriter {
  readonly counts = { acknowledged: 0, unanswered: 0, missing: 0 };
  /** Answers no write may get (e.g. 404 for a service whose creation was acknowledged and never undone). */
  readonly unexpected: string[] = [];
  private readonly apps = new Map<string, AppModel>();
  private readonly services = new Map<string, ServiceModel>();
  private created = 0;
  private rounds = 0;

  constructor(
    private readonly paths: ApiPaths,
    private readonly image: string,
  ) {}

  /** One write of a random kind through `target`. */
  async writeOnce(target: WriteTarget): Promise<void> {
    const write = this.nextWrite();
    let answer: Answer | undefined;
    try {
      answer = await target.request(write.method, write.path, write.body);
    } catch {
      // The connection failed: the write may have committed or not.
    }
    if (answer && answer.status < 300) {
      this.counts.acknowledged++;
      this.apply(write, true);
    } else if (!answer || answer.status >= 500) {
      this.counts.unanswered++;
      this.apply(write, false);
    } else if (answer.status === 404 && write.mayBeMissing) {
      this.counts.missing++;
      this.gone(write);
    } else {
      this.unexpected.push(`${write.method} ${write.path} answered ${answer.status} ${JSON.stringify(answer.body)}`);
    }
  }

  /** Writes through `pick()`'s replica until `signal` aborts. */
  async writeUntil(signal: AbortSignal, pick: () => WriteTarget, pauseMs: number): Promise<void> {
    while (!signal.aborted) {
      await this.writeOnce(pick());
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }

  /**
   * How `apps` (the project's apps as `GET .../apps` lists them, each with its services) differ
   * from what the writes may have left; empty when they agree.
   */
  differences(apps: any[]): string[] {
    const found: string[] = [];
    const listed = new Map<string, any>();
    for (const app of apps) {
      const model = this.apps.get(app.name);
      if (!model?.exists.has(true)) found.push(`app ${app.name} is listed, but no write created it or it was deleted`);
      for (const service of app.microservices) listed.set(`${app.name}/${service.name}`, service);
    }
    for (const model of this.apps.values()) {
      if (!model.exists.has(false) && !apps.some((app) => app.name === model.name)) found.push(`app ${model.name} is missing`);
    }
    for (const [id, service] of listed) {
      const model = this.services.get(id);
      if (!model?.exists.has(true)) {
        found.push(`service ${id} is listed, but no write created it or it was deleted`);
        continue;
      }
      const round = service.containers[0]?.envs.find((env: any) => env.name === 'ROUND')?.value;
      // A stopped service desires no pod; a running one at least one.
      const stopped = service.status.desire === 0;
      if (!model.instanceNumber.has(service.instanceNumber)) found.push(`service ${id} has instanceNumber ${service.instanceNumber}, not one of ${[...model.instanceNumber]}`);
      if (!model.round.has(round)) found.push(`service ${id} has ROUND ${round}, not one of ${[...model.round]}`);
      if (!model.stopped.has(stopped)) found.push(`service ${id} is ${stopped ? '' : 'not '}stopped, against every write`);
    }
    for (const [id, model] of this.services) {
      if (!model.exists.has(false) && !listed.has(id)) found.push(`service ${id} is missing`);
    }
    return found;
  }

  /**
   * A creation while fewer than two services may exist (and now and then up to MAX_SERVICES);
   * otherwise, on a random service: scale 30%, upgrade 25%, stop 15%, start 15%, delete it 10%,
   * delete its app 5%.
   */
  private nextWrite(): Write {
    const present = [...this.services.values()].filter((service) => service.exists.has(true));
    if (present.length < 2 || (present.length < MAX_SERVICES && Math.random() < 0.2)) return this.creation();
    const service = present[Math.floor(Math.random() * present.length)]!;
    const mayBeMissing = service.exists.has(false);
    const path = this.paths.service(service.app, service.name);
    const roll = Math.random();
    if (roll < 0.3) {
      const count = 1 + Math.floor(Math.random() * 2);
      return { method: 'PUT', path: `${path}/scale/${count}`, mayBeMissing, apps: [], services: [[service, { instanceNumber: count }]] };
    }
    if (roll < 0.55) {
      const round = String(++this.rounds);
      const body = { containers: [{ name: 'main', envs: [{ name: 'ROUND', value: round }] }] };
      return { method: 'PUT', path: `${path}/upgrade`, body, mayBeMissing, apps: [], services: [[service, { round }]] };
    }
    if (roll < 0.85) {
      const stopped = roll < 0.7;
      return { method: 'PUT', path: `${path}/${stopped ? 'stop' : 'start'}`, mayBeMissing, apps: [], services: [[service, { stopped }]] };
    }
    if (roll < 0.95) return { method: 'DELETE', path, mayBeMissing, apps: [], services: [[service, { exists: false }]] };
    const app = this.apps.get(service.app)!;
    const services = [...this.services.values()].filter((other) => other.app === app.name);
    return {
      method: 'DELETE',
      path: this.paths.app(app.name),
      mayBeMissing: app.exists.has(false),
      apps: [[app, false]],
      services: services.map((other) => [other, { exists: false }]),
    };
  }

  /** A new service (never a name used before), in a new app or in one that exists. */
  private creation(): Write {
    const id = ++this.created;
    const instanceNumber = 1 + Math.floor(Math.random() * 2);
    const round = String(++this.rounds);
    const body = {
      name: `s${id}`,
      type: 'stateless',
      resourceSpec: '1U1G',
      instanceNumber,
      containers: [{ name: 'main', image: this.image, command: ['sleep'], args: ['3600'], envs: [{ name: 'ROUND', value: round }] }],
    };
    const existing = [...this.apps.values()].filter((app) => app.exists.has(true));
    const inExisting = existing.length > 0 && Math.random() < 0.5;
    const app = inExisting ? existing[Math.floor(Math.random() * existing.length)]! : { name: `a${id}`, exists: new Set([false]) };
    this.apps.set(app.name, app);
    const service: ServiceModel = { app: app.name, name: body.name, exists: new Set([false]), instanceNumber: new Set(), stopped: new Set(), round: new Set() };
    this.services.set(`${app.name}/${service.name}`, service);
    const values = { exists: true, instanceNumber, stopped: false, round };
    return inExisting
      ? { method: 'POST', path: this.paths.services(app.name), body, mayBeMissing: app.exists.has(false), apps: [[app, true]], services: [[service, values]] }
      : { method: 'POST', path: this.paths.apps, body: { name: app.name, microservices: [body] }, mayBeMissing: false, apps: [[app, true]], services: [[service, values]] };
  }

  /**
   * A 404: the store says the write's app (for a write to an app) or service is gone, so an
   * unanswered delete before did happen. No later write brings it back: names are never reused.
   */
  private gone(write: Write): void {
    for (const [app] of write.apps) {
      app.exists = new Set([false]);
      for (const service of this.services.values()) if (service.app === app.name) service.exists = new Set([false]);
    }
    for (const [service] of write.services) service.exists = new Set([false]);
  }

  /** What a write leaves: for certain once acknowledged, as one more possibility when its answer was lost. */
  private apply(write: Write, acknowledged: boolean): void {
    for (const [app, exists] of write.apps) settle(app.exists, exists, acknowledged);
    for (const [service, values] of write.services) {
      // An acknowledged write to a service proves it exists (a delete says otherwise itself).
      if (acknowledged) service.exists = new Set([true]);
      for (const [field, value] of Object.entries(values)) settle(service[field as keyof ServiceValues] as Set<unknown>, value, acknowledged);
    }
  }
}

function settle<T>(possible: Set<T>, value: T, acknowledged: boolean): void {
  if (acknowledged) possible.clear();
  possible.add(value);
}
