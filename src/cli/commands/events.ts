import type { Command } from 'commander';
import type { Event } from '../../api/schemas/event.js';
import { connect } from '../context.js';
import { age, printRows, rowPrinter, type Column } from '../output.js';
import { parseServiceRef, servicePath } from '../refs.js';

const EVENT_COLUMNS: readonly Column<Event>[] = [
  { header: 'LAST SEEN', value: (event) => age(event.time) },
  { header: 'TYPE', value: (event) => event.type },
  { header: 'REASON', value: (event) => event.reason },
  { header: 'OBJECT', value: (event) => [event.app ?? '', event.service, ...(event.pod ? [event.pod] : [])].join('/') },
  { header: 'MESSAGE', value: (event) => event.message },
  { header: 'COUNT', value: (event) => event.count, wide: true },
  { header: 'REVISION', value: (event) => event.revision, wide: true },
  { header: 'CONTAINER', value: (event) => event.container, wide: true },
];

/** `wharf events [-w] [APP/SERVICE]`: what happened to a service, or to every service of the project. */
export function registerEvents(program: Command): void {
  program
    .command('events')
    .description("what happened to a service, its pods and containers (without SERVICE: the project's), oldest first")
    .argument('[service]', 'APP/SERVICE (a V2 service: /SERVICE)')
    .option('-w, --watch', 'then print each event as it is recorded, until Ctrl-C')
    .option('--since <time>', 'only events last seen at or after this RFC 3339 time')
    .action(async (ref: string | undefined, options: { watch?: boolean; since?: string }, command: Command) => {
      const client = connect(command);
      const path = `${ref === undefined ? client.projectPath : servicePath(client, parseServiceRef(ref))}/events`;
      const query = new URLSearchParams(options.since === undefined ? {} : { since: options.since });
      if (!options.watch) {
        printRows(command, await client.request<Event[]>('GET', query.size === 0 ? path : `${path}?${query}`), EVENT_COLUMNS);
        return;
      }
      query.set('watch', 'true');
      const print = rowPrinter(command, EVENT_COLUMNS);
      for await (const message of client.sse<Event>(`${path}?${query}`)) print(message.data);
    });
}
