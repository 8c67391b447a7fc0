import type { Command } from 'commander';
import type { Service } from '../../api/schemas/microservice.js';
import type { Port, ServiceUpgrade } from '../../model/service.js';
import { connect } from '../context.js';
import { UsageError } from '../errors.js';
import { parseServiceRef, servicePath } from '../refs.js';

const REF_HELP = 'APP/SERVICE (a V2 service: /SERVICE)';

/** What changes a running service: `wharf scale|stop|start`, `wharf set image|ports`. */
export function registerActions(program: Command): void {
  program
    .command('scale')
    .description('set how many pods a stateless service runs (a stopped one stays stopped)')
    .argument('<service>', REF_HELP)
    .argument('<replicas>', 'a whole number', wholeNumber)
    .action(async (ref: string, replicas: number, _options: unknown, command: Command) => {
      const client = connect(command);
      await client.request('PUT', `${servicePath(client, parseServiceRef(ref))}/scale/${replicas}`);
      process.stdout.write(`service ${ref} scaled to ${replicas}\n`);
    });
  for (const [action, what] of [
    ['stop', 'remove every pod of a service, keeping the service'],
    ['start', 'start a stopped service again'],
  ] as const) {
    program
      .command(action)
      .description(what)
      .argument('<service>', REF_HELP)
      .action(async (ref: string, _options: unknown, command: Command) => {
        const client = connect(command);
        await client.request('PUT', `${servicePath(client, parseServiceRef(ref))}/${action}`);
        process.stdout.write(`service ${ref} ${action === 'stop' ? 'stopped' : 'started'}\n`);
      });
  }

  const set = program.command('set').description('change one part of a service');
  set
    .command('image')
    .description("upgrade a service's images, every other field kept: a new revision, rolled out")
    .argument('<service>', REF_HELP)
    .argument('<images...>', 'CONTAINER=IMAGE, one or more')
    .action(async (ref: string, assignments: string[], _options: unknown, command: Command) => {
      const images = new Map(assignments.map(parseAssignment));
      const client = connect(command);
      const path = servicePath(client, parseServiceRef(ref));
      const service = await client.request<Service>('GET', path);
      const names = service.containers.map((container) => container.name);
      for (const name of images.keys()) {
        if (!names.includes(name)) throw new Error(`no container "${name}" in service ${ref} (has: ${names.join(', ')})`);
      }
      // An upgrade's containers are the new list, merged by name: every container is listed (one left out
      // would be removed), and a listed one keeps each field the upgrade leaves out.
      const upgrade: ServiceUpgrade = { containers: names.map((name) => ({ name, ...(images.has(name) ? { image: images.get(name)! } : {}) })) };
      const upgraded = await client.request<Service>('PUT', `${path}/upgrade`, upgrade);
      const note = upgraded.revision === service.revision ? 'unchanged' : `revision ${upgraded.revision}`;
      process.stdout.write(`service ${ref} image ${assignments.join(' ')} (${note})\n`);
    });
  set
    .command('ports')
    .description("replace a service's ports (no new revision)")
    .argument('<service>', REF_HELP)
    .argument('<ports...>', 'PORT[/TCP|UDP][:SERVICEPORT], e.g. 80 8080/UDP 8443/TCP:443')
    .action(async (ref: string, ports: string[], _options: unknown, command: Command) => {
      const client = connect(command);
      const service = await client.request<Service>('PUT', `${servicePath(client, parseServiceRef(ref))}/ports`, { ports: ports.map(parsePort) });
      process.stdout.write(`service ${ref} ports ${service.ports.map((port) => `${port.port}/${port.protocol}`).join(' ')}\n`);
    });
}

function wholeNumber(text: string): number {
  if (!/^[0-9]{1,9}$/.test(text)) throw new UsageError(`"${text}" is not a whole number`);
  return Number(text);
}

function parseAssignment(text: string): [string, string] {
  const equals = text.indexOf('=');
  if (equals <= 0 || equals === text.length - 1) throw new UsageError(`"${text}" is not CONTAINER=IMAGE`);
  return [text.slice(0, equals), text.slice(equals + 1)];
}

function parsePort(text: string): Port {
  const match = /^([0-9]{1,5})(?:\/(TCP|UDP))?(?::([0-9]{1,5}))?$/i.exec(text);
  if (!match) throw new UsageError(`"${text}" is not PORT[/TCP|UDP][:SERVICEPORT]`);
  return { port: Number(match[1]), protocol: (match[2]?.toUpperCase() ?? 'TCP') as Port['protocol'], ...(match[3] ? { servicePort: Number(match[3]) } : {}) };
}
