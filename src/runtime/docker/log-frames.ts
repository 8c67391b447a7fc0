import { Transform, type TransformCallback } from 'node:stream';

const HEADER_BYTES = 8;

/**
 * Docker's multiplexed log stream (a container without a TTY) to plain bytes: each frame is an
 * 8-byte header (stream type, three zero bytes, the payload's length as a big-endian uint32)
 * and its payload. stdout and stderr come out merged in the order the engine sent them; a frame is
 * one log entry, so a line is never cut by the other stream.
 */
export class LogFrames extends Transform {
  private pending: Buffer = Buffer.alloc(0);

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    const payloads: Buffer[] = [];
    while (data.length >= HEADER_BYTES) {
      const size = data.readUInt32BE(4);
      if (data.length < HEADER_BYTES + size) break;
      payloads.push(data.subarray(HEADER_BYTES, HEADER_BYTES + size));
      data = data.subarray(HEADER_BYTES + size);
    }
    // One push per chunk read, not per frame (a frame is a line): a write per line would cost the response a chunk each.
    if (payloads.length > 0) this.push(Buffer.concat(payloads));
    this.pending = Buffer.from(data);
    done();
  }

  override _flush(done: TransformCallback): void {
    done(this.pending.length > 0 ? new Error(`the Docker log stream ended inside a frame (${this.pending.length} bytes left)`) : null);
  }
}
