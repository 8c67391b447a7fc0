import { Readable, Writable } from 'node:stream';

const HEADER_BYTES = 8;
const STDERR = 2;

/**
 * Splits Docker's multiplexed attach stream (no terminal) into stdout and stderr. Each frame is an
 * 8-byte header — the stream (0 stdin echoed, 1 stdout, 2 stderr), three zero bytes, the payload's
 * length big-endian — then the payload. Unlike dockerode's demuxStream it keeps back-pressure: when
 * a reader stops taking what it was given, the engine's stream waits (`pipe` pauses it).
 */
export class StreamDemux extends Writable {
  readonly stdout = new Readable({ read: () => this.wake() });
  readonly stderr = new Readable({ read: () => this.wake() });
  private pending: Buffer = Buffer.alloc(0);
  private waiting: (() => void) | undefined;

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let full = false;
    while (this.pending.length >= HEADER_BYTES) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < HEADER_BYTES + size) break;
      const target = this.pending[0] === STDERR ? this.stderr : this.stdout;
      // A copy: the payload must not pin the whole chunk it came in while it waits in a buffer.
      if (!target.push(Buffer.from(this.pending.subarray(HEADER_BYTES, HEADER_BYTES + size)))) full = true;
      this.pending = this.pending.subarray(HEADER_BYTES + size);
    }
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
