import type { Event } from '../api/schemas/event.js';
import type { Service } from '../api/schemas/microservice.js';
import type { WharfClient } from './client.js';
import { refText, servicePath, type ServiceRef } from './refs.js';
import { eventLine, progressLine, rolloutVerdict, type Verdict } from './rollout-progress.js';

/** What is known of one service being followed: its last state from the watch, and its newest event. */
interface Followed {
  name: string;
  service: Service | undefined;
  deleted: boolean;
  event: Event | undefined;
}

/** One service's part of the view: its progress line and its newest event's line. */
interface Row {
  name: string;
  progress: string;
  event: string | undefined;
}

/** Where the view goes: redrawn in place on a terminal, as plain lines (only what changed) otherwise. */
interface Screen {
  draw(rows: Row[]): void;
}

const CURSOR_UP = (lines: number): string => `\x1b[${lines}A`;
const CLEAR_LINE = '\x1b[2K';

/** Two lines per service, drawn over the last drawing; each cut to the terminal's width, so none wraps and the count of lines to go back up holds. */
class TerminalScreen implements Screen {
  private drawn = 0;

  constructor(private readonly out: NodeJS.WriteStream) {}

  draw(rows: Row[]): void {
    const width = Math.max(20, (this.out.columns || 80) - 1);
    const lines = rows.flatMap((row) => [row.progress, row.event ?? '']).map((line) => line.slice(0, width));
    this.out.write(`${this.drawn > 0 ? CURSOR_UP(this.drawn) : ''}${lines.map((line) => `${CLEAR_LINE}${line}\n`).join('')}`);
    this.drawn = lines.length;
  }
}

/** For a pipe or a file: a service's progress line when it changes, its newest event when a new one comes, each named. */
class LineScreen implements Screen {
  private readonly printed = new Map<string, string>();

  constructor(private readonly out: NodeJS.WritableStream) {}

  draw(rows: Row[]): void {
    for (const row of rows) {
      this.print(`progress ${row.name}`, row.progress);
      if (row.event !== undefined) this.print(`event ${row.name}`, `${row.name}${row.event}`);
    }
  }

  private print(slot: string, line: string): void {
    if (this.printed.get(slot) === line) return;
    this.printed.set(slot, line);
    this.out.write(`${line}\n`);
  }
}

export type FollowedVerdict = Verdict & { name: string };

/**
 * Follows the rollouts of `refs` from the watch streams (each service's state and its events) until
 * every one is complete or failed, drawing the view on `out`; answers each service's verdict. A
 * service deleted meanwhile counts as failed. An error of a stream (the service does not exist, the
 * server is gone) ends the whole and is thrown.
 */
export async function followRollouts(client: WharfClient, refs: ServiceRef[], out: NodeJS.WriteStream): Promise<FollowedVerdict[]> {
  const screen: Screen = out.isTTY ? new TerminalScreen(out) : new LineScreen(out);
  const followed: Followed[] = refs.map((ref) => ({ name: refText(ref), service: undefined, deleted: false, event: undefined }));
  const verdictOf = (entry: Followed): Verdict | undefined => {
    if (entry.deleted) return { state: 'failed', reason: 'Deleted', message: 'the service was deleted' };
    return entry.service && rolloutVerdict(entry.service);
  };
  const settled = (): boolean => followed.every((entry) => {
    const state = verdictOf(entry)?.state;
    return state === 'complete' || state === 'failed';
  });
  const redraw = (): void =>
    screen.draw(
      followed.map((entry) => ({
        name: entry.name,
        progress: entry.deleted ? `${entry.name}  deleted` : progressLine(entry.name, entry.service),
        event: entry.event && eventLine(entry.event),
      })),
    );

  const stop = new AbortController();
  // Any stream's failure ends them all, and is what the caller gets.
  const guarded = async (task: () => Promise<void>): Promise<void> => {
    try {
      await task();
    } catch (error) {
      if (stop.signal.aborted) return;
      stop.abort();
      throw error;
    }
  };
  const follow = async <Data>(path: string, take: (message: { event?: string; data: Data }) => void, lastEventId?: string): Promise<void> => {
    for await (const message of client.sse<Data>(path, { signal: stop.signal, lastEventId })) {
      // Another stream settled the last rollout: the view drawn then is the last.
      if (stop.signal.aborted) return;
      take(message);
      redraw();
      if (settled()) stop.abort();
    }
  };
  await Promise.all(
    refs.flatMap((ref, index) => {
      const entry = followed[index]!;
      const path = servicePath(client, ref);
      return [
        guarded(() =>
          follow<Service>(`${path}?watch=true`, ({ event, data }) => {
            // RESET says to drop what was known; the current state follows as ADDED.
            if (event === 'ADDED' || event === 'MODIFIED') Object.assign(entry, { service: data, deleted: false });
            else if (event === 'DELETED') entry.deleted = true;
          }),
        ),
        guarded(async () => {
          // The newest event kept, then only those after it: the watch would first replay them all.
          const kept = await client.request<Event[]>('GET', `${path}/events`);
          entry.event = kept.at(-1);
          redraw();
          await follow<Event>(`${path}/events?watch=true`, ({ data }) => (entry.event = data), entry.event && String(entry.event.id));
        }),
      ];
    }),
  );
  return followed.map((entry) => ({ name: entry.name, ...verdictOf(entry)! }));
}

/** Throws what failed when any rollout did, naming each: the reason (ProgressDeadlineExceeded, RolledBack) and the server's message. */
export function assertRolledOut(verdicts: FollowedVerdict[]): void {
  const failed = verdicts.filter((verdict): verdict is Extract<FollowedVerdict, { state: 'failed' }> => verdict.state === 'failed');
  if (failed.length === 0) return;
  throw new Error(failed.map((verdict) => `${verdict.name}: rollout ${verdict.reason}: ${verdict.message}`).join('\n'));
}
