import { Readable, Transform, Writable, type TransformCallback } from 'node:stream';

const HEADER_BYTES = 8;
const STDERR = 2;

interface Frame {
  /** 0 stdin echoed, 1 stdout, 2 stderr. */
  stream: number;
  payload: Buffer;
}

/**
 * Docker's multiplexed stream (logs, and attach or exec without a terminal): each frame is an
 * 8-byte header — the stream, three zero bytes, the payload's length big-endian — then the
 * payload. Returns the whole frames in `data` and the bytes of the incomplete one after them.
 */
function splitFrames(data: Buffer): { frames: Frame[]; rest: Buffer } {
  const frames: Frame[] = [];
  let rest = data;
  while (rest.length >= HEADER_BYTES) {
    const size = rest.readUInt32BE(4);
    if (rest.length < HEADER_BYTES + size) break;
    frames.push({ stream: rest[0]!, payload: rest.subarray(HEADER_BYTES, HEADER_BYTES + size) });
    rest = rest.subarray(HEADER_BYTES + size);
  }
  return { frames, rest };
}

/**
 * An exec's output split into stdout and stderr. Unlike dockerode's demuxStream it keeps
 * back-pressure: when a reader stops taking what it was given, the engine's stream waits (`pipe`
 * pauses it).
 */
export class StreamDemux extends Writable {
  readonly stdout = new Readable({ read: () => this.wake() });
  readonly stderr = new Readable({ read: () => this.wake() });
  private pending: Buffer = Buffer.alloc(0);
  private waiting: (() => void) | undefined;

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const { frames, rest } = splitFrames(this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]));
    let full = false;
    for (const { stream, payload } of frames) {
      // A copy: the payload must not pin the whole chunk it came in while it waits in a buffer.
      if (!(stream === STDERR ? this.stderr : this.stdout).push(Buffer.from(payload))) full = true;
    }
    this.pending = rest;
    if (full) this.waiting = callback;
    else callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.stdout.push(null);
    this.stderr.push(null);
    callback();
  }

  /**
   * The outputs end early without an error of their own: their reader sees a premature close,
   * and no reader has to be listening yet for the process to survive it. The error stays the writer's.
   */
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.stdout.readableEnded) this.stdout.destroy();
    if (!this.stderr.readableEnded) this.stderr.destroy();
    callback(error);
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.();
  }
}

/**
 * A container's log as plain bytes: stdout and stderr merged in the order the engine sent them; a
 * frame is one log entry, so a line is never cut by the other stream.
 */
export class LogFrames extends Transform {
  private pending: Buffer = Buffer.alloc(0);

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const { frames, rest } = splitFrames(this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk);
    // One push per chunk read, not per frame (a frame is a line): a write per line would cost the response a chunk each.
    if (frames.length > 0) this.push(Buffer.concat(frames.map((frame) => frame.payload)));
    this.pending = Buffer.from(rest);
    done();
  }

  override _flush(done: TransformCallback): void {
    done(this.pending.length > 0 ? new Error(`the Docker log stream ended inside a frame (${this.pending.length} bytes left)`) : null);
  }
}
