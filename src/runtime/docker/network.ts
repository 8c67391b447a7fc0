import type Docker from 'dockerode';
import { statusOf } from './client.js';
import { networkName, projectLabels, type Owner } from './labels.js';

/**
 * The user-defined bridge network of each project (Docker's DNS answers pods' aliases on it),
 * created on first use. Creations of one network are shared: Docker's duplicate check is not
 * atomic, and two concurrent creates would leave two networks of one (then ambiguous) name.
 * Forgotten when the engine reconnects or a pod creation fails, as the network may be gone.
 */
export class ProjectNetworks {
  private readonly ensured = new Map<string, Promise<string>>();

  constructor(private readonly docker: Docker, private readonly owner: Owner) {}

  ensure(project: string): Promise<string> {
    const name = networkName(this.owner.region, project);
    let ensured = this.ensured.get(name);
    if (!ensured) {
      ensured = this.create(project, name);
      this.ensured.set(name, ensured);
      ensured.catch(() => this.ensured.delete(name));
    }
    return ensured;
  }

  /** Checks again on next use: the engine restarted, or a creation failed (the network may have been removed). */
  forget(project?: string): void {
    if (project === undefined) this.ensured.clear();
    else this.ensured.delete(networkName(this.owner.region, project));
  }

  private async create(project: string, name: string): Promise<string> {
    const existing = await this.docker.listNetworks({ filters: { name: [name] } });
    // The name filter matches substrings: only an exact name counts.
    if (existing.some((network) => network.Name === name)) return name;
    try {
      await this.docker.createNetwork({
        Name: name,
        Driver: 'bridge',
        CheckDuplicate: true,
        Labels: projectLabels(this.owner, project),
      });
    } catch (error) {
      if (statusOf(error) !== 409) throw error; // 409: another Wharf made it meanwhile
    }
    return name;
  }
}
