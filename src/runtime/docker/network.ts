import type Docker from 'dockerode';
import { statusOf } from './client.js';
import { LABEL, networkName, projectLabels, type Owner } from './labels.js';

/**
 * The user-defined bridge network of each project (Docker's DNS answers pods' aliases on it),
 * created on first use. Docker's duplicate check is not atomic: creates that race (this replica's
 * own after a `forget`, or a replica that just stopped leading) leave two networks of one name, on
 * which every container start fails as "ambiguous" and pods could not reach each other. So pods
 * join a network by id, and every creator takes the oldest of the name and removes the others.
 * Creations in this process are shared; forgotten when the engine reconnects or a pod creation
 * fails, as the network may be gone.
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
      await this.remove(network.Id);
    }
  }

  /** Returns the id of the project's network. */
  private async create(project: string, name: string): Promise<string> {
    let named = await this.named(name);
    if (named.length === 0) {
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
      named = await this.named(name);
    }
    const [oldest, ...duplicates] = named;
    if (!oldest) throw new Error(`network ${name} is gone right after its creation`);
    // A container attached to a duplicate only as created (not running) holds no endpoint: its
    // start fails, and its pod's creation makes it again on the oldest network.
    for (const duplicate of duplicates) await this.remove(duplicate.Id);
    return oldest.Id;
  }

  /** Removes a network unless running containers use it (403), it is gone (404) or going (409). */
  private async remove(id: string): Promise<void> {
    await this.docker.getNetwork(id).remove().catch((error: unknown) => {
      if (![403, 404, 409].includes(statusOf(error) ?? 0)) throw error;
    });
  }

  /** The networks of exactly this name (the engine's filter matches substrings), oldest first. */
  private async named(name: string): Promise<Docker.NetworkInspectInfo[]> {
    const networks = await this.docker.listNetworks({ filters: { name: [name] } });
    // Every creator must pick the same one: by creation time, then by id.
    const order = (a: Docker.NetworkInspectInfo, b: Docker.NetworkInspectInfo): number => Date.parse(a.Created) - Date.parse(b.Created) || a.Id.localeCompare(b.Id);
    return networks.filter((network) => network.Name === name).sort(order);
  }
}
