import type { Command } from 'commander';
import type { RegionListing } from '../../api/schemas/region.js';
import type { ResourceSpec } from '../../model/resource-spec.js';
import type { StorageType } from '../../api/schemas/volume.js';
import { connect } from '../context.js';
import { printRows } from '../output.js';

/** What a server and a region offer: `wharf regions ls`, `wharf resourcespecs ls`, `wharf storagetypes ls`. */
export function registerRegion(program: Command): void {
  program
    .command('regions')
    .description('the regions of the server')
    .command('ls')
    .description('list the regions and their runtimes')
    .action(async (_options: unknown, command: Command) => {
      const regions = await connect(command).request<RegionListing[]>('GET', '/v1/regions');
      printRows(command, regions, [
        { header: 'NAME', value: (region) => region.name },
        { header: 'RUNTIME', value: (region) => region.runtime },
        { header: 'SIMULATED', value: (region) => region.simulated },
        { header: 'DESCRIPTION', value: (region) => region.description, wide: true },
      ]);
    });
  program
    .command('resourcespecs')
    .description("the region's resource specs (each container's CPU and memory)")
    .command('ls')
    .description('list the resource specs a service may name')
    .action(async (_options: unknown, command: Command) => {
      const client = connect(command);
      const specs = await client.request<ResourceSpec[]>('GET', `${client.regionPath}/resourcespecs`);
      printRows(command, specs, [
        { header: 'NAME', value: (spec) => spec.name },
        { header: 'CPU', value: (spec) => spec.cpu },
        { header: 'MEMORY(MB)', value: (spec) => spec.memory },
        { header: 'DESC', value: (spec) => spec.desc },
      ]);
    });
  program
    .command('storagetypes')
    .description("the region's storage types (what volumes are made of)")
    .command('ls')
    .description('list the storage types; the first is the default')
    .action(async (_options: unknown, command: Command) => {
      const client = connect(command);
      const types = await client.request<StorageType[]>('GET', `${client.regionPath}/storagetypes`);
      printRows(command, types, [
        { header: 'TYPE', value: (type) => type.type },
        { header: 'DESC', value: (type) => type.desc },
        { header: 'IOPS', value: (type) => type.iops },
      ]);
    });
}
