import type Docker from 'dockerode';
import { statusOf } from './client.js';
import { LABEL, networkName, projectLabels, type Owner } from './labels.js';

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

  /**
   * Removes this Wharf's project networks of the region that no pod needs any more, so a project
   * emptied of services leaves nothing on the engine. Called after a pod's removal and at every
   * connect, which retries one that failed. A pod being created keeps its project's network (it is
   * in `projectsInUse`); one removed under a creation all the same is made again by its retry.
   */
  async prune(projectsInUse: ReadonlySet<string>): Promise<void> {
    const { region, instanceId } = this.owner;
    const networks = await this.docker.listNetworks({ filters: { label: [`${LABEL.region}=${region}`, `${LABEL.instance}=${instanceId}`] } });
    for (const network of networks) {
      const project = network.Labels?.[LABEL.project];
      if (project === undefined || projectsInUse.has(project) || network.Name !== networkName(region, project)) continue;
      // The engine's word too, stopped containers included: one that restarts needs its network.
      const containers = await this.docker.listContainers({ all: true, filters: { label: [`${LABEL.region}=${region}`, `${LABEL.project}=${project}`] } });
      if (containers.length > 0) continue;
      this.forget(project);
      // 403: containers still use it; 404: already gone; 409: a removal is under way.
      await this.docker.getNetwork(network.Id).remove().catch((error: unknown) => {
        if (![403, 404, 409].includes(statusOf(error) ?? 0)) throw error;
      });
    }
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
