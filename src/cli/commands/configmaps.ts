import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import type { ConfigMap } from '../../api/schemas/configmap.js';
import { connect } from '../context.js';
import { UsageError } from '../errors.js';
import { age, printRows } from '../output.js';

interface DataOptions {
  fromLiteral: string[];
  fromFile: string[];
}

/** `wharf configmaps ls|get|create|update|delete`. */
export function registerConfigMaps(program: Command): void {
  const configMaps = program.command('configmaps').description('the ConfigMaps of the project');
  const path = (command: Command, name?: string): { client: ReturnType<typeof connect>; path: string } => {
    const client = connect(command);
    return { client, path: `${client.projectPath}/configmaps${name === undefined ? '' : `/${encodeURIComponent(name)}`}` };
  };
  const columns = [
    { header: 'NAME', value: (configMap: ConfigMap) => configMap.name },
    { header: 'KEYS', value: (configMap: ConfigMap) => Object.keys(configMap.data).length },
    { header: 'VERSION', value: (configMap: ConfigMap) => configMap.version },
    { header: 'AGE', value: (configMap: ConfigMap) => age(configMap.creationTime) },
    { header: 'DELETING', value: (configMap: ConfigMap) => (configMap.deleting ? configMap.deleting.message || 'yes' : ''), wide: true },
  ];
  configMaps
    .command('ls')
    .description('list the ConfigMaps')
    .action(async (_options: unknown, command: Command) => {
      const { client, path: url } = path(command);
      printRows(command, await client.request<ConfigMap[]>('GET', url), columns);
    });
  configMaps
    .command('get')
    .description('a ConfigMap (-o json|yaml: with its data)')
    .argument('<name>')
    .action(async (name: string, _options: unknown, command: Command) => {
      const { client, path: url } = path(command, name);
      const configMap = await client.request<ConfigMap>('GET', url);
      printRows(command, [configMap], columns, configMap);
    });
  dataOptions(configMaps.command('create').description('create a ConfigMap').argument('<name>')).action(
    async (name: string, options: DataOptions, command: Command) => {
      const { client, path: url } = path(command);
      const created = await client.request<ConfigMap>('POST', url, { name, data: readData(options) });
      process.stdout.write(`configmap ${created.name} created\n`);
    },
  );
  dataOptions(configMaps.command('update').description("replace a ConfigMap's data (the pods that read it roll)").argument('<name>')).action(
    async (name: string, options: DataOptions, command: Command) => {
      const { client, path: url } = path(command, name);
      const updated = await client.request<ConfigMap>('PUT', url, { data: readData(options) });
      process.stdout.write(`configmap ${updated.name} updated (version ${updated.version})\n`);
    },
  );
  configMaps
    .command('delete')
    .description('delete a ConfigMap no service reads (the engine side follows in the background)')
    .argument('<name>')
    .action(async (name: string, _options: unknown, command: Command) => {
      const { client, path: url } = path(command, name);
      await client.request('DELETE', url);
      process.stdout.write(`configmap ${name} deleting\n`);
    });
}

function dataOptions(command: Command): Command {
  const collect = (value: string, previous: string[]): string[] => [...previous, value];
  return command
    .option('--from-literal <key=value>', 'a key and its value (repeatable)', collect, [])
    .option('--from-file <[key=]path>', "a key and a file's content; the key defaults to the file's name (repeatable)", collect, []);
}

function readData(options: DataOptions): Record<string, string> {
  const data: Record<string, string> = {};
  for (const literal of options.fromLiteral) {
    const equals = literal.indexOf('=');
    if (equals <= 0) throw new UsageError(`--from-literal "${literal}" is not KEY=VALUE`);
    data[literal.slice(0, equals)] = literal.slice(equals + 1);
  }
  for (const spec of options.fromFile) {
    const equals = spec.indexOf('=');
    const [key, file] = equals > 0 ? [spec.slice(0, equals), spec.slice(equals + 1)] : [basename(spec), spec];
    try {
      data[key] = readFileSync(file, 'utf8');
    } catch (error) {
      throw new UsageError(`--from-file ${spec}: ${(error as Error).message}`);
    }
  }
  if (Object.keys(data).length === 0) throw new UsageError('give the data: --from-literal KEY=VALUE or --from-file [KEY=]PATH');
  return data;
}
