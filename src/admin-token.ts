import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ADMIN_TOKEN_FILE = 'admin-token';

/**
 * The admin token: WHARF_ADMIN_TOKEN when set; else the one kept in `<dataDir>/admin-token`;
 * else a new one, written there readable by the owner only and handed to `announce` — the only
 * time it is shown, so an operator who starts Wharf once without configuring anything can log in.
 */
export function adminToken(
  configured: string | undefined,
  dataDir: string,
  announce: (token: string, file: string) => void,
): string {
  if (configured !== undefined) return configured;
  const file = join(dataDir, ADMIN_TOKEN_FILE);
  const kept = readKept(file);
  if (kept !== undefined) return kept;
  const token = `wharf_admin_${randomBytes(32).toString('base64url')}`;
  mkdirSync(dataDir, { recursive: true });
  try {
    // `wx`: of two replicas starting on one data dir, one writes and the other reads its token.
    writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readKept(file) ?? failEmpty(file);
    throw error;
  }
  announce(token, file);
  return token;
}

function readKept(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return text.trim() || failEmpty(file);
}

function failEmpty(file: string): never {
  throw new Error(`${file} is empty: delete it to have a new admin token generated, or set WHARF_ADMIN_TOKEN`);
}
