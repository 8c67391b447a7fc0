/**
 * Whether an error says the store cannot be reached or cannot write now (PostgreSQL gone or
 * restarting, a SQLite file locked or on a failing disk) rather than that a statement is wrong.
 * The API answers these 503 StoreUnavailable, which a client may retry, instead of 500.
 */
export function isStoreOutage(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code)) return true;
    // PostgreSQL's SQLSTATE: class 08 is "connection exception"; 57P01-57P03 a server shutting down or starting.
    if (/^08[0-9A-Z]{3}$/.test(code) || /^57P0[1-3]$/.test(code) || code === '53300') return true;
    // better-sqlite3: another process holds the lock past the busy timeout, or the disk fails.
    if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_IOERR') || code === 'SQLITE_FULL' || code === 'SQLITE_CANTOPEN') return true;
  }
  // pg's own words for a connection that dropped or never came, which carry no code.
  return /^Connection terminated|^timeout exceeded when trying to connect|^Client has encountered a connection error/.test(error.message);
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);
