// The end of the image pipeline (SPEC 2.9 steps 1-4): keeps the first MiB
// of the decoded image in memory, lets the hold-back write its placeholder,
// then writes everything after it at explicit positions in 256 KiB+ blocks,
// with the next write already queued while one runs: liblzma decodes on the
// main thread, and a write that had to wait for it to yield left the disk idle.
// Every WRITEBACK_INTERVAL bytes it starts a datasync in the background, so
// the dirty page cache stays small and the device is busy while we decode:
// with writeback left to the kernel, a 3 GiB image sat in memory until the
// final fsync and install took as long as `xz -dc | dd; sync`.
// Given a DirectTarget (install onto a block device), the bytes after the
// first MiB are copied into its aligned staging buffers and written with
// O_DIRECT instead (direct-io.ts); a tail shorter than its unit, or a device
// that refuses a direct write (EINVAL), goes through the page cache.

import { Writable } from 'node:stream';
import type { FileHandle } from 'node:fs/promises';
import { BUFFER_SIZE, FIRST_MIB, WRITEBACK_INTERVAL } from '../util/constants.js';
import { CliError, ContextError, hasErrorCode } from '../util/errors.js';
import { releaseChunk } from './chunk-pool.js';
import type { DirectTarget } from './direct-io.js';
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
  /** Write past the first MiB with O_DIRECT through these staging buffers (at least STAGING_BUFFERS). */
  direct?: DirectTarget;
}

/** Writes queued at once: one running, the next ready for when it ends. */
const WRITES_IN_FLIGHT = 2;
/** Staging buffers a DirectTarget needs: the writes in flight and the one being filled. */
export const STAGING_BUFFERS = WRITES_IN_FLIGHT + 1;

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
  /** Direct mode: the staging buffer being filled, how full it is, and each buffer's last write. */
  private slot = 0;
  private slotLength = 0;
  private readonly slotWrites: Array<Promise<void> | undefined> = [];
  private directRefused = false;

  constructor(
    private readonly dest: FileHandle,
    private readonly opts: ImageSinkOptions,
  ) {
    super({ highWaterMark: BUFFER_SIZE });
    const staging = opts.direct?.buffers.length ?? STAGING_BUFFERS;
    if (staging < STAGING_BUFFERS) throw new RangeError(`a DirectTarget needs ${STAGING_BUFFERS} staging buffers, got ${staging}`);
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
      if (this.slotLength > 0) await this.writeSlot();
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
    if (this.opts.direct !== undefined) {
      await this.stage(this.opts.direct, rest);
      if (rest === chunk) releaseChunk(chunk);
      return;
    }
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
    this.track(writeFully(this.dest, buf, this.position), buf.length, () => recycle && releaseChunk(buf));
    await this.throttle();
  }

  /**
   * Count `write` (of `length` bytes, just issued at the current position) as
   * in flight, and move the position past it. Its failure is kept for
   * throwErrors(); once written, `after` runs and writeback is considered.
   */
  private track(write: Promise<void>, length: number, after?: () => void): Promise<void> {
    const tracked = write.then(
      () => {
        after?.();
        this.written(length);
      },
      (err: unknown) => {
        this.writeError ??= err;
      },
    );
    this.inFlight.push(tracked);
    this.position += length;
    return tracked;
  }

  /** Wait while more than WRITES_IN_FLIGHT writes run; then report any failure so far. */
  private async throttle(): Promise<void> {
    while (this.inFlight.length > WRITES_IN_FLIGHT) await this.inFlight.shift();
    this.throwErrors();
  }

  /** Copy `data` into the staging buffers, writing each one as it fills. */
  private async stage(direct: DirectTarget, data: Buffer): Promise<void> {
    let offset = 0;
    while (offset < data.length) {
      if (this.slotLength === 0) await this.slotWrites[this.slot];
      const buf = direct.buffers[this.slot] as Buffer;
      const n = data.copy(buf, this.slotLength, offset);
      this.slotLength += n;
      offset += n;
      if (this.slotLength === buf.length) await this.writeSlot();
    }
  }

  /** Queue the write of the staging buffer being filled: its whole units direct, a shorter tail buffered. */
  private async writeSlot(): Promise<void> {
    const direct = this.opts.direct as DirectTarget;
    const buf = (direct.buffers[this.slot] as Buffer).subarray(0, this.slotLength);
    const aligned = buf.length - (buf.length % direct.unit);
    const position = this.position;
    const write = (async () => {
      if (aligned > 0) await this.writeDirect(direct, buf.subarray(0, aligned), position);
      if (aligned < buf.length) await writeFully(this.dest, buf.subarray(aligned), position + aligned);
    })();
    this.slotWrites[this.slot] = this.track(write, buf.length);
    this.slot = (this.slot + 1) % direct.buffers.length;
    this.slotLength = 0;
    await this.throttle();
  }

  /** A direct write; where the device refuses one (EINVAL), this and every later write go through the page cache. */
  private async writeDirect(direct: DirectTarget, buf: Buffer, position: number): Promise<void> {
    if (!this.directRefused) {
      try {
        await writeFully(direct.handle, buf, position);
        return;
      } catch (err) {
        if (!hasErrorCode(err, 'EINVAL')) throw err;
        this.directRefused = true;
      }
    }
    await writeFully(this.dest, buf, position);
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
