import type { Command } from 'commander';
import type { Project } from '../../api/schemas/project.js';
import { connect } from '../context.js';
import { printRows } from '../output.js';

/** `wharf projects ls`: the projects with something in the region (a project exists once something is created in it). */
export function registerProjects(program: Command): void {
  program
    .command('projects')
    .description('the projects of the region')
    .command('ls')
    .description('list the projects that have something in the region')
    .action(async (_options: unknown, command: Command) => {
      const client = connect(command);
      const projects = await client.request<Project[]>('GET', `${client.regionPath}/projects`);
      printRows(command, projects, [
        { header: 'NAME', value: (project) => project.name },
        { header: 'APPS', value: (project) => project.appCount },
      ]);
    });
}
