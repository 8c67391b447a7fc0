import type { Command } from 'commander';
import type { Pod, Revision, Service } from '../../api/schemas/microservice.js';
import type { PodStats } from '../../model/stats.js';
import { connect } from '../context.js';
import { readBodyFile } from '../files.js';
import { age, printRows, type Column } from '../output.js';
import { parsePodRef, parseServiceRef, podPath, refText, servicePath } from '../refs.js';

export const SERVICE_COLUMNS: readonly Column<Service>[] = [
  { header: 'SERVICE', value: (service) => refText({ app: service.appName, service: service.name }) },
  { header: 'TYPE', value: (service) => service.type },
  { header: 'STATUS', value: (service) => service.status.phase },
  { header: 'READY', value: (service) => `${service.status.available}/${service.status.desire}` },
  { header: 'UP-TO-DATE', value: (service) => service.status.updated },
  { header: 'REVISION', value: (service) => service.revision },
  { header: 'ROLLOUT', value: (service) => service.status.rollout.state },
  { header: 'AGE', value: (service) => age(service.creationTime) },
  { header: 'SPEC', value: (service) => service.resourceSpec, wide: true },
  { header: 'IMAGES', value: (service) => service.containers.map((container) => `${container.name}=${container.image}`).join(','), wide: true },
];

const REF_HELP = 'APP/SERVICE (a V2 service: /SERVICE)';

/** `wharf services ls|get|create|delete`, `wharf pods ls`, `wharf revisions ls`, `wharf stats`. */
export function registerServices(program: Command): void {
  const services = program.command('services').description('the microservices of the project');
  services
    .command('ls')
    .description("list an app's services, or without APP every service of the project (its apps' and its V2 ones)")
    .argument('[app]')
    .action(async (app: string | undefined, _options: unknown, command: Command) => {
      const client = connect(command);
      const path = app === undefined ? `${client.projectPath}/microservices` : `${client.projectPath}/apps/${encodeURIComponent(app)}/microservices`;
      printRows(command, await client.request<Service[]>('GET', path), SERVICE_COLUMNS);
    });
  services
    .command('get')
    .description('a service (-o json|yaml: the whole object, with its containers and pods)')
    .argument('<service>', REF_HELP)
    .action(async (ref: string, _options: unknown, command: Command) => {
      const client = connect(command);
      const service = await client.request<Service>('GET', servicePath(client, parseServiceRef(ref)));
      printRows(command, [service], SERVICE_COLUMNS, service);
    });
  services
    .command('create')
    .description('create a service in APP from a file holding the create request; without APP a V2 service, directly under the project')
    .argument('[app]')
    .requiredOption('-f, --file <file>', 'YAML or JSON: the body POST …/microservices takes ("-": standard input)')
    .action(async (app: string | undefined, options: { file: string }, command: Command) => {
      const client = connect(command);
      const path = app === undefined ? `${client.projectV2Path}/microservices` : `${client.projectPath}/apps/${encodeURIComponent(app)}/microservices`;
      const service = await client.request<Service>('POST', path, readBodyFile(options.file));
      process.stdout.write(`service ${refText({ app: service.appName, service: service.name })} created (revision ${service.revision})\n`);
    });
  services
    .command('delete')
    .description('delete a service and its pods (volumes and ConfigMaps stay)')
    .argument('<service>', REF_HELP)
    .action(async (ref: string, _options: unknown, command: Command) => {
      const client = connect(command);
      await client.request('DELETE', servicePath(client, parseServiceRef(ref)));
      process.stdout.write(`service ${ref} deleted\n`);
    });

  program
    .command('pods')
    .description('the pods of a service')
    .command('ls')
    .description("list a service's pods: the names logs, exec and stats take")
    .argument('<service>', REF_HELP)
    .action(async (ref: string, _options: unknown, command: Command) => {
      const client = connect(command);
      const service = await client.request<Service>('GET', servicePath(client, parseServiceRef(ref)));
      printRows(command, service.pods, POD_COLUMNS, service.pods);
    });

  program
    .command('revisions')
    .description('the revisions of a service')
    .command('ls')
    .description("list a service's revisions (its template at each: resource spec and images)")
    .argument('<service>', REF_HELP)
    .action(async (ref: string, _options: unknown, command: Command) => {
      const client = connect(command);
      const revisions = await client.request<Revision[]>('GET', `${servicePath(client, parseServiceRef(ref))}/revisions`);
      printRows(command, revisions, [
        { header: 'REVISION', value: (revision) => revision.revision },
        { header: 'SPEC', value: (revision) => revision.resourceSpec },
        { header: 'IMAGES', value: (revision) => revision.containers.map((container) => `${container.name}=${container.image}`).join(',') },
        { header: 'AGE', value: (revision) => age(revision.creationTimestamp) },
      ]);
    });

  program
    .command('stats')
    .description("one sample of what a pod uses: each container's CPU and memory")
    .argument('<pod>', 'APP/SERVICE/POD (a V2 service\'s pod: /SERVICE/POD)')
    .action(async (ref: string, _options: unknown, command: Command) => {
      const client = connect(command);
      const stats = await client.request<PodStats>('GET', `${podPath(client, parsePodRef(ref))}/stats`);
      printRows(command, stats.containers, [
        { header: 'CONTAINER', value: (container) => container.name },
        { header: 'CPU(cores)', value: (container) => container.cpu.usageCores.toFixed(3) },
        { header: 'MEMORY(MiB)', value: (container) => (container.memory.usageBytes / 2 ** 20).toFixed(1) },
        { header: 'LIMIT(MiB)', value: (container) => (container.memory.limitBytes === undefined ? undefined : (container.memory.limitBytes / 2 ** 20).toFixed(0)) },
      ], stats);
    });
}

const POD_COLUMNS: readonly Column<Pod>[] = [
  { header: 'NAME', value: (pod) => pod.name },
  { header: 'STATUS', value: (pod) => pod.status.phase },
  { header: 'READY', value: (pod) => `${pod.containerStatuses.filter((container) => container.ready).length}/${pod.containerStatuses.length}` },
  { header: 'RESTARTS', value: (pod) => pod.containerStatuses.reduce((sum, container) => sum + container.restartCount, 0) },
  { header: 'REVISION', value: (pod) => pod.revision },
  { header: 'AGE', value: (pod) => age(pod.creationTime) },
  { header: 'REASON', value: (pod) => pod.status.reason, wide: true },
  { header: 'HOST PORTS', value: (pod) => pod.hostPorts?.map((port) => `${port.hostPort}->${port.port}/${port.protocol}`).join(','), wide: true },
];

