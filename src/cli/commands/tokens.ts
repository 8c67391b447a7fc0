import type { Command } from 'commander';
import type { Static } from 'typebox';
import type { CreatedToken, Token, TokenCreate } from '../../api/schemas/token.js';
import { connect } from '../context.js';
import { age, printData, outputFormat, printRows } from '../output.js';

/** `wharf tokens ls|create|delete` (admin tokens only). */
export function registerTokens(program: Command): void {
  const tokens = program.command('tokens').description('API tokens (an admin token manages them)');
  tokens
    .command('ls')
    .description('list the tokens (never their secrets)')
    .action(async (_options: unknown, command: Command) => {
      const list = await connect(command).request<Token[]>('GET', '/v1/tokens');
      printRows(command, list, [
        { header: 'ID', value: (token) => token.id },
        { header: 'NAME', value: (token) => token.name },
        { header: 'PROJECTS', value: (token) => (token.admin ? '*' : token.projects.join(',')) },
        { header: 'ADMIN', value: (token) => token.admin },
        { header: 'EXPIRES', value: (token) => token.expiresAt ?? 'never' },
        { header: 'REVOKED', value: (token) => token.revokedAt ?? '' },
        { header: 'AGE', value: (token) => age(token.creationTime) },
      ]);
    });
  tokens
    .command('create')
    .description('create a token; its secret is printed once, now')
    .argument('<name>', 'what it is for')
    .option('--projects <names...>', 'the projects it covers (space-separated)')
    .option('--admin', 'an admin token: every project, and may manage tokens')
    .option('--expires-at <time>', 'RFC 3339 time after which it is refused')
    .action(async (name: string, options: { projects?: string[]; admin?: boolean; expiresAt?: string }, command: Command) => {
      const body: Static<typeof TokenCreate> = {
        name,
        projects: options.projects ?? [],
        ...(options.admin ? { admin: true } : {}),
        ...(options.expiresAt === undefined ? {} : { expiresAt: options.expiresAt }),
      };
      const created = await connect(command).request<Static<typeof CreatedToken>>('POST', '/v1/tokens', body);
      // The secret is what the user asked for: the one place a token is printed.
      if (outputFormat(command) === 'json' || outputFormat(command) === 'yaml') return printData(command, created);
      process.stdout.write(`token ${created.id} (${created.name}) created; its secret, shown only now:\n${created.token}\n`);
    });
  tokens
    .command('delete')
    .description('revoke a token')
    .argument('<id>')
    .action(async (id: string, _options: unknown, command: Command) => {
      await connect(command).request('DELETE', `/v1/tokens/${encodeURIComponent(id)}`);
      process.stdout.write(`token ${id} revoked\n`);
    });
}
