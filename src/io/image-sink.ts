// The end of the image pipeline (SPEC 2.9 steps 1-4): keeps the first MiB
// of the decoded image in memory, lets the hold-back write its placeholder,
// then writes everything after it at explicit positions in 256 KiB+ blocks,
// with the next write already queued while one runs: liblzma decodes on the
// main thread, and a write that had to wait for it to yield left the disk idle.
// Every WRITEBACK_INTERVAL bytes it starts a datasync in the background, so
// the dirty page cache stays small and the device is busy while we decode:
// with writeback left to the kernel, a 3 GiB image sat in memory until the
// final fsync and install took as long as `xz -dc | dd; sync`.

import { Writable } from 'node:stream';
import type { FileHandle } from 'node:fs/promises';
import { BUFFER_SIZE, FIRST_MIB, WRITEBACK_INTERVAL } from '../util/constants.js';
import { CliError, ContextError } from '../util/errors.js';
import { releaseChunk } from './chunk-pool.js';
import { writeFully } from './file-io.js';

export interface HoldBack {
  /** After the first MiB was read and checked (shorter if the image is); download: zeros. */
  placeholder(dest: FileHandle, firstMiB: Buffer): Promise<void>;
  /** After every check passed; download: write firstMiB at 0. */
  commit(dest: FileHandle, firstMiB: Buffer): Promise<void>;
}

/** Image sector size from its GPT header position (SPEC 2.9 step 2); undefined = unknown. */
export function detectSectorSize(firstMiB: Buffer): number | undefined {
  const sig = Buffer.from('EFI PART');
  if (firstMiB.length >= 520 && firstMiB.subarray(512, 520).equals(sig)) return 512;
  if (firstMiB.length >= 4104 && firstMiB.subarray(4096, 4104).equals(sig)) return 4096;
  return undefined;
}

/** Marks errors raised while handling the first MiB: they carry their own context. */
export class HeadError extends Error {
  override name = 'HeadError';
  constructor(readonly inner: unknown) {
    super('first MiB', { cause: inner });
  }
}

export interface ImageSinkOptions {
  holdBack: HoldBack;
  expectedSectorSize?: number;
}

/** Writes queued at once: one running, the next ready for when it ends. */
const WRITES_IN_FLIGHT = 2;

export class ImageSink extends Writable {
  private head: Buffer = Buffer.allocUnsafe(FIRST_MIB);
  private headLength = 0;
  private headDone = false;
  private position = FIRST_MIB;
  private pending: Buffer[] = [];
  private pendingWhole: boolean[] = [];
  private pendingLength = 0;
  private inFlight: Promise<void>[] = [];
  private writeError: unknown;
  private unsynced = 0;
  private writeback: Promise<void> | undefined;
  private writebackError: unknown;

  constructor(
    private readonly dest: FileHandle,
    private readonly opts: ImageSinkOptions,
  ) {
    super({ highWaterMark: BUFFER_SIZE });
  }

  /** The first MiB (the whole image if shorter); complete once the sink has finished. */
  get firstMiB(): Buffer {
    return this.head.subarray(0, this.headLength);
  }

  /** Whether the whole first MiB has been received. */
  get pastFirstMiB(): boolean {
    return this.headDone;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.consume(chunk).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    (async () => {
      if (!this.headDone) await this.finishHead();
      await this.flush();
      await this.idle();
      this.throwErrors();
    })().then(() => callback(), callback);
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.idle().then(() => callback(err));
  }

  /** Resolves when no write or datasync is running (failures are kept for throwErrors). */
  async idle(): Promise<void> {
    while (this.inFlight.length > 0) await this.inFlight.shift();
    await this.writeback;
  }

  private async consume(chunk: Buffer): Promise<void> {
    let rest = chunk;
    if (!this.headDone) {
      const n = Math.min(rest.length, FIRST_MIB - this.headLength);
      rest.copy(this.head, this.headLength, 0, n);
      this.headLength += n;
      rest = rest.subarray(n);
      if (rest.length === 0) releaseChunk(chunk);
      if (this.headLength < FIRST_MIB) return;
      await this.finishHead();
    }
    if (rest.length === 0) return;
    // Only a chunk queued whole may be recycled once written (a split one is shared with the head).
    this.pending.push(rest);
    this.pendingWhole.push(rest === chunk);
    this.pendingLength += rest.length;
    if (this.pendingLength >= BUFFER_SIZE) await this.flush();
  }

  private async finishHead(): Promise<void> {
    this.headDone = true;
    this.head = this.head.subarray(0, this.headLength);
    try {
      const expected = this.opts.expectedSectorSize;
      const found = detectSectorSize(this.head);
      if (expected !== undefined && found !== undefined && found !== expected) {
        throw new CliError(`source has sector size ${found} but destination has sector size ${expected}`);
      }
      await this.opts.holdBack.placeholder(this.dest, this.head);
    } catch (err) {
      throw new HeadError(err);
    }
  }

  private async flush(): Promise<void> {
    if (this.pendingLength === 0) return;
    const pieces = this.pending;
    const whole = this.pendingWhole;
    const single = pieces.length === 1;
    const buf = single ? (pieces[0] as Buffer) : Buffer.concat(pieces, this.pendingLength);
    if (!single) pieces.forEach((piece, i) => whole[i] && releaseChunk(piece));
    const recycle = single && whole[0] === true;
    this.pending = [];
    this.pendingWhole = [];
    this.pendingLength = 0;
    const length = buf.length;
    this.inFlight.push(
      writeFully(this.dest, buf, this.position).then(
        () => {
          if (recycle) releaseChunk(buf);
          this.written(length);
        },
        (err: unknown) => {
          this.writeError ??= err;
        },
      ),
    );
    this.position += length;
    while (this.inFlight.length > WRITES_IN_FLIGHT) await this.inFlight.shift();
    this.throwErrors();
  }

  private written(length: number): void {
    this.unsynced += length;
    if (this.unsynced >= WRITEBACK_INTERVAL && this.writeback === undefined) this.startWriteback();
  }

  /** A datasync in the background; its failure surfaces at the next write or at the end. */
  private startWriteback(): void {
    this.unsynced = 0;
    this.writeback = this.dest.datasync().then(
      () => {
        this.writeback = undefined;
      },
      (err: unknown) => {
        this.writeback = undefined;
        this.writebackError ??= new ContextError('syncing data to disk', err);
      },
    );
  }

  private throwErrors(): void {
    if (this.writeError !== undefined) throw this.writeError;
    if (this.writebackError !== undefined) throw this.writebackError;
  }
}
