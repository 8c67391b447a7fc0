import type { Command } from 'commander';
import type { RegionListing } from '../../api/schemas/region.js';
import { WharfClient } from '../client.js';
import { configPath, readConfig, saveContext, useContext, type Context } from '../context.js';
import { UsageError } from '../errors.js';
import { printRows } from '../output.js';

/** `wharf login` and `wharf context ls|use`: which server, token, region and project commands use. */
export function registerContexts(program: Command): void {
  program
    .command('login')
    .description('check a server and token, and store them as a context (the current one from now on)')
    .argument('<url>', 'the server, e.g. http://127.0.0.1:8080')
    .option('--token <token>', 'the API token (default: WHARF_TOKEN)')
    .option('--region <name>', 'the default region (default: the first the server lists)')
    .option('--project <name>', 'the default project')
    .option('--context <name>', 'the name to store it under (default: the URL host)')
    .action(async (url: string, options: { token?: string; region?: string; project?: string; context?: string }) => {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw new UsageError(`<url> "${url}" is not a URL (e.g. http://127.0.0.1:8080)`);
      }
      const token = options.token ?? process.env.WHARF_TOKEN;
      // The regions answer only to a valid token: a wrong one is refused here, before it is stored.
      const regions = await new WharfClient({ url, token, region: '' }).request<RegionListing[]>('GET', '/v1/regions');
      const region = options.region ?? regions[0]?.name;
      if (!region) throw new UsageError('the server lists no region: pass --region');
      if (!regions.some((listed) => listed.name === region)) throw new UsageError(`--region "${region}": the server has ${regions.map((listed) => listed.name).join(', ')}`);
      const context: Context = { name: options.context ?? parsed.host, url, region, ...(token ? { token } : {}), ...(options.project ? { project: options.project } : {}) };
      saveContext(context);
      process.stdout.write(`context "${context.name}" stored in ${configPath()} and in use: ${url}, region ${region}${context.project ? `, project ${context.project}` : ''}\n`);
    });

  const context = program.command('context').description('list the stored contexts, or switch to another');
  context
    .command('ls')
    .description('the stored contexts; * marks the current one (tokens are never shown, only whether one is set)')
    .action((_options: unknown, command: Command) => {
      const config = readConfig();
      // Tokens stay in the file: -o json|yaml say only whether there is one.
      const shown = config.contexts.map(({ token, ...rest }) => ({ ...rest, current: rest.name === config.current, token: token ? 'set' : 'none' }));
      printRows(command, shown, [
        { header: 'CURRENT', value: (row) => (row.current ? '*' : ' ') },
        { header: 'NAME', value: (row) => row.name },
        { header: 'URL', value: (row) => row.url },
        { header: 'REGION', value: (row) => row.region },
        { header: 'PROJECT', value: (row) => row.project },
        { header: 'TOKEN', value: (row) => row.token },
      ]);
    });
  context
    .command('use')
    .description('make a stored context the current one')
    .argument('<name>')
    .action((name: string) => {
      useContext(name);
      process.stdout.write(`using context "${name}"\n`);
    });
}
