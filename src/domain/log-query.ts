import { invalidArgs } from './errors.js';
import type { LogQuery } from '../runtime/logs.js';

/** A log request's query string as it arrives (api/schemas/logs.ts checks each field's form). */
export interface RawLogQuery {
  container?: string;
  tailLines?: string;
  sinceSeconds?: string;
  sinceTime?: string;
  timestamps?: 'true' | 'false';
  previous?: 'true' | 'false';
  follow?: 'true' | 'false';
}

// RFC 3339's date-time: a full date, a full time, a zone (Z or an offset).
const RFC_3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** The container named (absent or empty: the pod's only one) and what to read of its log, with Kubernetes' rules. */
export function parseLogQuery(raw: RawLogQuery): { container: string | undefined; query: LogQuery } {
  if (raw.sinceSeconds !== undefined && raw.sinceTime !== undefined) {
    throw invalidArgs('sinceTime and sinceSeconds exclude each other: give at most one', 'sinceTime');
  }
  const query: LogQuery = {
    timestamps: raw.timestamps === 'true',
    previous: raw.previous === 'true',
    follow: raw.follow === 'true',
  };
  if (raw.tailLines !== undefined) query.tailLines = wholeNumber(raw.tailLines, 'tailLines');
  if (raw.sinceSeconds !== undefined) {
    const seconds = wholeNumber(raw.sinceSeconds, 'sinceSeconds');
    if (seconds === 0) throw invalidArgs('sinceSeconds must be greater than 0', 'sinceSeconds');
    query.sinceSeconds = seconds;
  }
  if (raw.sinceTime !== undefined) {
    if (!RFC_3339.test(raw.sinceTime) || Number.isNaN(Date.parse(raw.sinceTime))) {
      throw invalidArgs(`sinceTime must be an RFC 3339 time such as 2026-01-02T15:04:05Z, got "${raw.sinceTime}"`, 'sinceTime');
    }
    query.sinceTime = new Date(raw.sinceTime).toISOString();
  }
  return { container: raw.container === '' ? undefined : raw.container, query };
}

function wholeNumber(text: string, field: string): number {
  if (!/^[0-9]{1,9}$/.test(text)) throw invalidArgs(`${field} must be a whole number, got "${text}"`, field);
  return Number(text);
}
