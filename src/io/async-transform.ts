// A Transform whose work is asynchronous and paced by its reader: the
// subclass consumes each input chunk in an async `consume`, ends in an async
// `finish`, and hands output to `pass`, which resolves only when the reader
// wants more. So one input chunk may produce any amount of output (a
// decoder, an unpacker) and memory still stays at the read-ahead.

import { Transform, type TransformCallback } from 'node:stream';

export abstract class AsyncTransform extends Transform {
  private demand: (() => void) | undefined;

  /** `readAhead`: bytes of output that may wait for the reader. */
  constructor(readAhead: number) {
    super({ readableHighWaterMark: readAhead });
  }

  /** Handle one input chunk (pass() what it produces). */
  protected abstract consume(chunk: Buffer): Promise<void>;

  /** The input ended: emit the rest, or throw if it is incomplete. */
  protected abstract finish(): Promise<void>;

  /** Release resources: after the end, an error or destroy(). */
  protected release(): Promise<void> | void {}

  /** Pass `chunk` on; resolves when the reader wants more. */
  protected async pass(chunk: Buffer): Promise<void> {
    if (!this.push(chunk)) await new Promise<void>((resolve) => (this.demand = resolve));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.consume(chunk).then(() => cb(), cb);
  }

  override _flush(cb: TransformCallback): void {
    this.finish().then(() => cb(), cb);
  }

  override _read(size: number): void {
    const wake = this.demand;
    this.demand = undefined;
    wake?.();
    super._read(size);
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    Promise.resolve()
      .then(() => this.release())
      .then(
        () => cb(err),
        () => cb(err),
      );
  }
}
