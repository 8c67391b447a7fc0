import type { Command } from 'commander';
import type { App } from '../../api/schemas/app.js';
import { connect } from '../context.js';
import { UsageError } from '../errors.js';
import { readBodyFile } from '../files.js';
import { age, printRows } from '../output.js';
import { SERVICE_COLUMNS } from './services.js';

/** `wharf apps ls|get|create|delete`. */
export function registerApps(program: Command): void {
  const apps = program.command('apps').description('the apps of the project');
  apps
    .command('ls')
    .description('list the apps of the project')
    .action(async (_options: unknown, command: Command) => {
      const client = connect(command);
      const list = await client.request<App[]>('GET', `${client.projectPath}/apps`);
      printRows(command, list, [
        { header: 'NAME', value: (app) => app.name },
        { header: 'SERVICES', value: (app) => app.microservices.length },
        { header: 'AGE', value: (app) => age(app.creationTime) },
      ]);
    });
  apps
    .command('get')
    .description("an app: its services as a table (-o json|yaml: the app as the API answers it)")
    .argument('<name>')
    .action(async (name: string, _options: unknown, command: Command) => {
      const client = connect(command);
      const app = await client.request<App>('GET', `${client.projectPath}/apps/${encodeURIComponent(name)}`);
      printRows(command, app.microservices, SERVICE_COLUMNS, app);
    });
  apps
    .command('create')
    .description('create an app: by name, or from a file holding the create request (name and microservices)')
    .argument('[name]')
    .option('-f, --file <file>', 'YAML or JSON: {name, microservices: [...]} as POST …/apps takes it ("-": standard input)')
    .action(async (name: string | undefined, options: { file?: string }, command: Command) => {
      if (name === undefined && options.file === undefined) throw new UsageError('apps create needs a <name> or -f FILE');
      const body = options.file === undefined ? { name } : { ...(readBodyFile(options.file) as object), ...(name === undefined ? {} : { name }) };
      const client = connect(command);
      const app = await client.request<App>('POST', `${client.projectPath}/apps`, body);
      process.stdout.write(`app ${app.name} created${app.microservices.length ? ` with ${app.microservices.map((service) => service.name).join(', ')}` : ''}\n`);
    });
  apps
    .command('delete')
    .description('delete an app and its services (volumes and ConfigMaps stay)')
    .argument('<name>')
    .action(async (name: string, _options: unknown, command: Command) => {
      const client = connect(command);
      await client.request('DELETE', `${client.projectPath}/apps/${encodeURIComponent(name)}`);
      process.stdout.write(`app ${name} deleted\n`);
    });
}
