import type { Command } from 'commander';
import type { Volume } from '../../api/schemas/volume.js';
import { connect } from '../context.js';
import { UsageError } from '../errors.js';
import { age, printRows } from '../output.js';

/** `wharf volumes ls|get|create|delete`. */
export function registerVolumes(program: Command): void {
  const volumes = program.command('volumes').description('the volumes of the project (what stateful services mount)');
  const columns = [
    { header: 'NAME', value: (volume: Volume) => volume.name },
    { header: 'SIZE(GiB)', value: (volume: Volume) => volume.size },
    { header: 'TYPE', value: (volume: Volume) => volume.storageType },
    { header: 'STATUS', value: (volume: Volume) => volume.status },
    { header: 'MOUNTED BY', value: (volume: Volume) => volume.mountedBy.map((service) => `${service.appName}/${service.name}`).join(',') },
    { header: 'AGE', value: (volume: Volume) => age(volume.creationTime) },
    { header: 'FS', value: (volume: Volume) => volume.fsType, wide: true },
    { header: 'MESSAGE', value: (volume: Volume) => volume.statusMessage, wide: true },
  ];
  volumes
    .command('ls')
    .description('list the volumes')
    .action(async (_options: unknown, command: Command) => {
      const client = connect(command);
      printRows(command, await client.request<Volume[]>('GET', `${client.projectPath}/volumes`), columns);
    });
  volumes
    .command('get')
    .description('a volume')
    .argument('<name>')
    .action(async (name: string, _options: unknown, command: Command) => {
      const client = connect(command);
      const volume = await client.request<Volume>('GET', `${client.projectPath}/volumes/${encodeURIComponent(name)}`);
      printRows(command, [volume], columns, volume);
    });
  volumes
    .command('create')
    .description('create a volume')
    .argument('<name>')
    .requiredOption('--size <GiB>', 'its size in GiB', (text: string) => {
      if (!/^[0-9]{1,9}$/.test(text)) throw new UsageError(`--size "${text}" is not a whole number of GiB`);
      return Number(text);
    })
    .option('--storage-type <type>', 'one of `wharf storagetypes ls` (default: the first)')
    .action(async (name: string, options: { size: number; storageType?: string }, command: Command) => {
      const client = connect(command);
      const volume = await client.request<Volume>('POST', `${client.projectPath}/volumes`, {
        name,
        size: options.size,
        ...(options.storageType === undefined ? {} : { storageType: options.storageType }),
      });
      process.stdout.write(`volume ${volume.name} created (${volume.size} GiB, ${volume.storageType})\n`);
    });
  volumes
    .command('delete')
    .description('delete a volume no service mounts, and its data (the engine side follows in the background)')
    .argument('<name>')
    .action(async (name: string, _options: unknown, command: Command) => {
      const client = connect(command);
      await client.request('DELETE', `${client.projectPath}/volumes/${encodeURIComponent(name)}`);
      process.stdout.write(`volume ${name} deleting\n`);
    });
}
