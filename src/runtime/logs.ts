import { Transform, type TransformCallback } from 'node:stream';
import type { ServiceKey } from '../domain/keys.js';

/** One pod of a service, as the log and stats calls name it. */
export interface PodRef {
  key: ServiceKey;
  pod: string;
}

/**
 * What to read of one container's log, in Kubernetes' terms (`pods/log`). At most one of
 * sinceSeconds and sinceTime (domain/log-query.ts checks).
 */
export interface LogOptions {
  /** A container of the pod, by its name in the spec. */
  container: string;
  /** Only the last this many lines (of the instance read); absent: all. */
  tailLines?: number;
  /** Only lines written in the last this many seconds. */
  sinceSeconds?: number;
  /** Only lines written at or after this time (RFC 3339). */
  sinceTime?: string;
  /** Each line starts with the time it was written (RFC 3339 with nanoseconds) and a space. */
  timestamps: boolean;
  /** The last terminated instance of the container instead of the current one. */
  previous: boolean;
  /** Keep the stream open and send lines as they are written, until the container ends or the reader goes. */
  follow: boolean;
}

/** The log query of a request, before a container is chosen (a service's logs read every container). */
export type LogQuery = Omit<LogOptions, 'container'>;

/** The earliest time a line may have been written to be read, from sinceSeconds or sinceTime; undefined: any. */
export function sinceOf(options: Pick<LogOptions, 'sinceSeconds' | 'sinceTime'>, now = Date.now()): number | undefined {
  if (options.sinceSeconds !== undefined) return now - options.sinceSeconds * 1000;
  return options.sinceTime === undefined ? undefined : Date.parse(options.sinceTime);
}

// A line longer than this is cut into pieces: a process that never writes a newline must not make
// Wharf buffer its whole output.
const MAX_LINE_BYTES = 64 * 1024;
const NEWLINE = Buffer.from('\n');

/** The whole lines (each ending in "\n") of what came so far, and the rest, which waits for more. */
function splitLines(partial: Buffer, chunk: Buffer): { lines: Buffer[]; rest: Buffer } {
  let data = partial.length > 0 ? Buffer.concat([partial, chunk]) : chunk;
  const lines: Buffer[] = [];
  for (let end = data.indexOf(10); end !== -1; end = data.indexOf(10)) {
    lines.push(data.subarray(0, end + 1));
    data = data.subarray(end + 1);
  }
  while (data.length > MAX_LINE_BYTES) {
    lines.push(Buffer.concat([data.subarray(0, MAX_LINE_BYTES), NEWLINE]));
    data = data.subarray(MAX_LINE_BYTES);
  }
  // Copied: the rest would otherwise hold the whole chunk it is a view of.
  return { lines, rest: Buffer.from(data) };
}

/**
 * Bytes in, whole lines out: each chunk pushed is one or more complete lines ending in "\n", each
 * passed through `mapLine` (a prefix), so lines of several streams merged by chunk never
 * interleave mid-line. A last line without a newline gets one when the input ends.
 */
export class LineSplitter extends Transform {
  private partial: Buffer = Buffer.alloc(0);

  constructor(private readonly mapLine: (line: Buffer) => Buffer = (line) => line) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const { lines, rest } = splitLines(this.partial, chunk);
    this.partial = rest;
    if (lines.length > 0) this.push(Buffer.concat(lines.map(this.mapLine)));
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.partial.length > 0) this.push(this.mapLine(Buffer.concat([this.partial, NEWLINE])));
    done();
  }
}

/** Keeps only the last `count` lines of its input, sent when the input ends (a log that is not followed). */
export class LastLines extends Transform {
  private lines: Buffer[] = [];
  private partial: Buffer = Buffer.alloc(0);

  constructor(private readonly count: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const { lines, rest } = splitLines(this.partial, chunk);
    this.partial = rest;
    this.keep(lines);
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.partial.length > 0) this.keep([Buffer.concat([this.partial, NEWLINE])]);
    const last = this.lines.slice(Math.max(0, this.lines.length - this.count));
    if (last.length > 0) this.push(Buffer.concat(last));
    done();
  }

  private keep(lines: Buffer[]): void {
    for (const line of lines) this.lines.push(line);
    // Trimmed in batches: dropping one line at a time from the front would copy the array each time.
    if (this.lines.length > 2 * this.count + 1024) this.lines = this.lines.slice(this.lines.length - this.count);
  }
}
