// Parallel xz decoding (issue 14): one more MemberDecoder, for multi-block
// streams such as `xz -T` writes (NestOS and Fedora CoreOS images).
//
// The main thread walks the stream with the xz framer as the raw bytes arrive
// (they reach us once, in order, after the signature and SHA-256 stages), cuts
// out each block as soon as its last byte is in, and hands it to a pool of
// worker threads (xz-worker.ts; at most one per core, besides the main
// thread). Decoded blocks are emitted strictly in order, in chunks of at most
// 1 MiB: a worker sends each 1 MiB back as soon as it is full, the oldest
// block's are written while it still decodes, and each one received is
// answered with an empty buffer, except that a block waiting for an older one
// gets its buffers back only as it is written once half of it is waiting
// (heldLimit). A bounded queue keeps memory flat: at most WORKERS
// blocks are dispatched and not yet finished, and their stated sizes
// together stay under IN_FLIGHT_BYTES. Each worker's liblzma verifies its
// block's header CRC, stated sizes and check; at the end the main thread
// verifies the stream's index (every record against the blocks seen, CRC32)
// and footer. Output of a block that then fails has been emitted, as a
// streaming decoder's would have; the error still fails the whole stream.
//
// The decision is taken at the first block header: a block that states both
// its sizes, no bigger than MAX_BLOCK, in a stream that is not just that one
// block, goes parallel; anything else (single-block files, `xz` without -T,
// unusual headers) falls back to the streaming decoder (xz.ts) for the whole
// stream. Later blocks that state no sizes (legal, never written by xz -T)
// are still cut out by walking their LZMA2 chunks and decoded on a worker.

import { crc32 } from 'node:zlib';
import type { Worker } from 'node:worker_threads';
import { DECOMPRESS_CHUNK_SIZE } from '../../util/constants.js';
import { XZ_EOF, XZ_FOOTER_MAGIC } from '../compression.js';
import { adoptChunk, takeChunk } from '../chunk-pool.js';
import { FrameScanner, type DecodeOutput, type MemberDecoder } from './member-decoder.js';
import { XZ_FOOTER_SIZE, openXzDecoder, readVarint, xzFramer, type BlockHeader, type FramedBlock } from './xz.js';
import type { XzJob, XzMessage, XzRequest } from './xz-worker.js';
import { defaultWorkers, discardPrestarted, startWorker } from './worker-script.js';

/** Blocks bigger than this (uncompressed) are not decoded whole in memory. */
export const MAX_BLOCK = 64 << 20;
/** Stated uncompressed bytes of the blocks dispatched and not yet finished. */
const IN_FLIGHT_BYTES = 96 << 20;
/** Empty output buffers each worker starts with (then one back for each it sends). */
const WORKER_RESERVE = 2;

export interface ParallelXzOptions {
  /** Worker threads (default: one per core). */
  workers?: number;
  /** Size of the whole stream if known (file size, Content-Length): a stream of one block falls back. */
  lengthHint?: number;
}

type Done = Extract<XzMessage, { kind: 'done' }>;

/** What a block counts for against IN_FLIGHT_BYTES: its stated size, or the most a block may be. */
const weightOf = (block: FramedBlock): number => block.uncompressedSize ?? MAX_BLOCK;

/**
 * Output of one block that may wait for an older block before its worker
 * waits too: half the block. Without a limit a whole block waited (24 MiB of
 * xz -T2 -6) and the install's peak RSS reached 263 MiB; with half, the two
 * workers settle into a half-block stagger. A worker still waits behind an
 * older block that decodes slower (0.4-0.6 s per 512 MiB of OS image); a
 * whole-block limit removed those waits but no time, since both cores are
 * busy anyway, and cost 10-15 MiB of peak RSS.
 */
const heldLimit = (block: FramedBlock): number => weightOf(block) / 2;

interface Job {
  block: FramedBlock;
  /** Output received and not yet emitted, in order. */
  pieces: Buffer[];
  /** Bytes in `pieces`. */
  held: number;
  /** Empty buffers owed to the worker that sent the pieces (held past heldLimit), one per piece emitted. */
  owed: number;
  /** The worker decoding it, once it has one. */
  worker: Worker | undefined;
  /** Bytes emitted so far. */
  emitted: number;
  /** The worker's last word on the block. */
  done: Done | undefined;
  /** Wakes the emitter waiting on this job. */
  wake: (() => void) | undefined;
}

class WorkerPool {
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly waiting: Array<(w: Worker) => void> = [];
  private readonly jobs = new Map<number, Job>();
  private nextId = 0;

  /**
   * All the workers start at once (or were started ahead: prestartDecoders):
   * a worker takes 40-80 ms to start and load liblzma, which then overlaps
   * with reading the first block instead of delaying its decoding.
   */
  constructor(size: number) {
    for (let i = 0; i < size; i++) this.idle.push(this.spawn());
  }

  private give(worker: Worker, count: number): void {
    const buffers: ArrayBuffer[] = [];
    for (let i = 0; i < count; i++) buffers.push(takeChunk().buffer as ArrayBuffer);
    const request: XzRequest = { kind: 'spare', buffers };
    worker.postMessage(request, buffers);
  }

  private spawn(): Worker {
    const worker = startWorker('xz-worker');
    worker.on('message', (m: XzMessage) => {
      const job = this.jobs.get(m.id);
      if (m.kind === 'piece') {
        if (job === undefined) {
          this.give(worker, 1);
        } else {
          job.pieces.push(adoptChunk(m.buffer).subarray(0, m.length));
          job.held += m.length;
          if (job.held > heldLimit(job.block)) job.owed++;
          else this.give(worker, 1);
        }
      } else {
        this.jobs.delete(m.id);
        // An idle worker does not keep the process alive; a busy one does.
        worker.unref();
        this.release(worker);
        if (job !== undefined) job.done = m;
      }
      job?.wake?.();
    });
    worker.on('error', (err) => this.failAll(err.message));
    worker.unref();
    this.give(worker, WORKER_RESERVE);
    this.all.push(worker);
    return worker;
  }

  private failAll(message: string): void {
    for (const [id, job] of this.jobs) {
      job.done ??= { id, kind: 'done', ok: false, message, block: new ArrayBuffer(0) };
      job.wake?.();
    }
    this.jobs.clear();
  }

  private release(worker: Worker): void {
    const next = this.waiting.shift();
    if (next) next(worker);
    else this.idle.push(worker);
  }

  private acquire(): Promise<Worker> {
    const w = this.idle.pop();
    if (w) return Promise.resolve(w);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** A piece of `job` (of `length` bytes) was passed on: give its worker a buffer it is owed. */
  emitted(job: Job, length: number): void {
    job.held -= length;
    if (job.owed === 0 || job.worker === undefined) return;
    job.owed--;
    this.give(job.worker, 1);
  }

  /** Decode `request` on a worker; `job` receives its output and its end. */
  run(request: Omit<XzJob, 'id'>, job: Job): void {
    const id = this.nextId++;
    this.jobs.set(id, job);
    void this.acquire().then((worker) => {
      worker.ref();
      job.worker = worker;
      const message: XzRequest = { ...request, id };
      worker.postMessage(message, [request.block]);
    });
  }

  /** Workers end after the block they are on (see xz-worker.ts); the process waits for busy ones. */
  close(): void {
    for (const w of this.all) w.postMessage('close');
    this.failAll('closed');
    this.all.length = 0;
    this.idle.length = 0;
  }
}

type Mode = 'undecided' | 'parallel' | 'streaming';

class ParallelXzDecoder implements MemberDecoder {
  private readonly scanner: FrameScanner;
  /** Decided at the first block header. */
  mode: Mode = 'undecided';
  private fallback: MemberDecoder | undefined;
  private pool: WorkerPool | undefined;
  private streamHeader: Buffer | undefined;
  /** Raw bytes from `bufStart` on that a block or the index still needs. */
  private buf: Buffer[] = [];
  private bufStart = 0;
  private received = 0;
  /** The first block's header, which decides the mode. */
  private firstHeader: (BlockHeader & { start: number }) | undefined;
  /** Blocks announced by the framer, not yet dispatched. */
  private announced: FramedBlock[] = [];
  private readonly queue: Job[] = [];
  private queuedBytes = 0;
  /**
   * A compressed-block buffer back from a worker, for the next dispatch (which
   * follows each return): one is enough, and keeping one per worker held
   * another 12-20 MiB of peak RSS.
   */
  private readonly spareInputs: ArrayBuffer[] = [];
  private readonly seen: Array<{ unpadded: number; uncompressed: number }> = [];
  private indexStart = -1;
  private ended = false;

  constructor(
    private readonly out: DecodeOutput,
    private readonly opts: Required<Pick<ParallelXzOptions, 'workers'>> & ParallelXzOptions,
  ) {
    this.scanner = new FrameScanner(
      xzFramer({
        streamHeader: (h) => (this.streamHeader = Buffer.from(h)),
        blockHeader: (start, header) => (this.firstHeader ??= { ...header, start }),
        block: (b) => this.announced.push(b),
        index: (start) => (this.indexStart = start),
      }),
      XZ_EOF,
    );
  }

  get done(): boolean {
    return this.fallback ? this.fallback.done : this.ended;
  }

  async write(input: Buffer): Promise<number> {
    if (this.fallback) return this.fallback.write(input);
    if (this.ended) return input.length;
    const used = this.scanner.feed(input);
    this.buf.push(input.subarray(0, used));
    this.received += used;
    if (this.mode === 'undecided') {
      const first = this.firstHeader;
      if (first === undefined && this.indexStart < 0) return 0;
      if (!this.worthIt(first)) return this.fallBack(input.subarray(used));
      this.mode = 'parallel';
      this.pool = new WorkerPool(this.opts.workers);
    }
    await this.dispatchReady();
    await this.emitFinished();
    if (!this.scanner.done) return 0;
    await this.finish();
    return input.length - used;
  }

  async end(): Promise<number> {
    if (this.fallback) return this.fallback.end();
    if (this.ended) return 0;
    this.scanner.finish(); // premature EOF
    return 0;
  }

  close(): void {
    this.fallback?.close();
    this.pool?.close();
    this.pool = undefined;
  }

  /** Parallel decoding pays off: the first block states its sizes, fits, and is not the whole stream. */
  private worthIt(first: (BlockHeader & { start: number }) | undefined): boolean {
    if (first === undefined || first.compressedSize === undefined || first.uncompressedSize === undefined) return false;
    if (first.uncompressedSize > MAX_BLOCK) return false;
    const hint = this.opts.lengthHint;
    // Padding, check, index and footer of a one-block stream take well under 128 bytes.
    return hint === undefined || hint <= 0 || first.start + first.headerSize + first.compressedSize + 128 < hint;
  }

  /** Replay what we read into the streaming decoder and hand it the rest. */
  private async fallBack(rest: Buffer): Promise<number> {
    discardPrestarted('xz-worker');
    const decoder = await openXzDecoder(this.out);
    this.fallback = decoder;
    this.mode = 'streaming';
    const seen = Buffer.concat([...this.buf, rest]);
    this.buf = [];
    return decoder.write(seen);
  }

  private discard(n: number): void {
    this.bufStart += n;
    while (n > 0) {
      const chunk = this.buf[0] as Buffer;
      if (chunk.length <= n) {
        n -= chunk.length;
        this.buf.shift();
      } else {
        this.buf[0] = chunk.subarray(n);
        n = 0;
      }
    }
  }

  /** A buffer for a compressed block: one that came back from a worker if big enough. */
  private inputBuffer(length: number): ArrayBuffer {
    const i = this.spareInputs.findIndex((ab) => ab.byteLength >= length);
    if (i >= 0) return this.spareInputs.splice(i, 1)[0] as ArrayBuffer;
    return new ArrayBuffer(Math.ceil(length / DECOMPRESS_CHUNK_SIZE) * DECOMPRESS_CHUNK_SIZE);
  }

  /** Move raw bytes [start, end), all received, out of the buffer (into `into` if given). */
  private take(start: number, end: number, into?: ArrayBuffer): Buffer {
    this.discard(start - this.bufStart); // the stream header, before the first block
    const target = into ? Buffer.from(into, 0, end - start) : Buffer.allocUnsafe(end - start);
    let filled = 0;
    while (filled < target.length) {
      const chunk = this.buf[0] as Buffer;
      const n = Math.min(chunk.length, target.length - filled);
      chunk.copy(target, filled, 0, n);
      filled += n;
      if (n === chunk.length) this.buf.shift();
      else this.buf[0] = chunk.subarray(n);
    }
    this.bufStart = end;
    return target;
  }

  private async dispatchReady(): Promise<void> {
    for (;;) {
      const block = this.announced[0];
      if (block === undefined || block.end > this.received) return;
      this.announced.shift();
      const weight = weightOf(block);
      const full = (): boolean =>
        this.queue.length > 0 && (this.queue.length >= this.opts.workers || this.queuedBytes + weight > IN_FLIGHT_BYTES);
      // Bounded queue: wait for the oldest block to be decoded; once it is,
      // the worker it freed gets this block before what is left of the
      // oldest is emitted (that waits for the disk, and the worker would idle).
      let dispatched = false;
      while (!dispatched && full()) {
        await this.emitOldest(() => {
          if (full()) return;
          this.dispatch(block);
          dispatched = true;
        });
      }
      if (!dispatched) this.dispatch(block);
    }
  }

  /** Hand one block, all received, to a worker. */
  private dispatch(block: FramedBlock): void {
    const length = block.end - block.start;
    const input = this.inputBuffer(length);
    this.take(block.start, block.end, input);
    const job: Job = { block, pieces: [], held: 0, owed: 0, worker: undefined, emitted: 0, done: undefined, wake: undefined };
    (this.pool as WorkerPool).run(
      {
        offset: block.start,
        streamHeader: this.streamHeader as Buffer,
        block: input,
        blockLength: length,
        size: block.uncompressedSize ?? -1,
      },
      job,
    );
    this.queue.push(job);
    this.queuedBytes += weightOf(block);
  }

  /** Emit what has arrived of the oldest blocks, without waiting for more. */
  private async emitFinished(): Promise<void> {
    for (;;) {
      const head = this.queue[0];
      if (head === undefined) return;
      if (head.done !== undefined) {
        await this.emitOldest();
        continue;
      }
      await this.drain(head);
      if (head.done === undefined) return;
    }
  }

  /** Emit the pieces of `job` received so far. */
  private async drain(job: Job): Promise<void> {
    for (let piece = job.pieces.shift(); piece !== undefined; piece = job.pieces.shift()) {
      job.emitted += piece.length;
      this.pool?.emitted(job, piece.length);
      for (let off = 0; off < piece.length; off += DECOMPRESS_CHUNK_SIZE) {
        await this.out.emit(piece.subarray(off, Math.min(off + DECOMPRESS_CHUNK_SIZE, piece.length)));
      }
    }
  }

  /**
   * Emit the oldest block as it decodes, until its worker is done; then take
   * it off the queue, run `taken` (a dispatch into the room it left) and emit
   * what is left of it.
   */
  private async emitOldest(taken?: () => void): Promise<void> {
    const job = this.queue[0];
    if (job === undefined) return;
    while (job.done === undefined) {
      await this.drain(job);
      if (job.done !== undefined) break;
      await new Promise<void>((resolve) => (job.wake = resolve));
      job.wake = undefined;
    }
    const r = job.done;
    this.queue.shift();
    this.queuedBytes -= weightOf(job.block);
    if (r.block.byteLength > 0 && this.spareInputs.length === 0) this.spareInputs.push(r.block);
    if (!r.ok) throw new Error(`xz block at offset ${job.block.start}: ${r.message}`);
    taken?.();
    await this.drain(job);
    this.seen.push({ unpadded: job.block.unpaddedSize, uncompressed: job.emitted });
  }

  /** The framer reached the footer: emit every block, then check index and footer. */
  private async finish(): Promise<void> {
    await this.dispatchReady();
    while (this.queue.length > 0) await this.emitOldest();
    this.verifyIndex(this.take(this.indexStart, this.received));
    this.ended = true;
    this.close();
  }

  private verifyIndex(tail: Buffer): void {
    const bad = (what: string): Error => new Error(`xz: ${what} at offset ${this.indexStart}`);
    const index = tail.subarray(0, tail.length - XZ_FOOTER_SIZE);
    const footer = tail.subarray(tail.length - XZ_FOOTER_SIZE);
    const header = this.streamHeader as Buffer;
    // Footer: CRC32 of backward size + flags, the same flags as the header, the index size.
    if (!footer.subarray(10, 12).equals(XZ_FOOTER_MAGIC)) throw bad('invalid stream footer');
    if (crc32(footer.subarray(4, 10)) !== footer.readUInt32LE(0)) throw bad('corrupt stream footer');
    if (!footer.subarray(8, 10).equals(header.subarray(6, 8))) throw bad('stream footer flags differ from the header');
    if ((footer.readUInt32LE(4) + 1) * 4 !== index.length) throw bad('index size differs from the stream footer');
    // Index: indicator, count, records, padding, CRC32.
    if (crc32(index.subarray(0, index.length - 4)) !== index.readUInt32LE(index.length - 4)) throw bad('corrupt index');
    let p = 1;
    const count = readVarint(index, p);
    p = count.next;
    if (count.value !== this.seen.length) throw bad('index does not match the blocks');
    for (const block of this.seen) {
      const unpadded = readVarint(index, p);
      const uncompressed = readVarint(index, unpadded.next);
      p = uncompressed.next;
      if (unpadded.value !== block.unpadded || uncompressed.value !== block.uncompressed) {
        throw bad('index does not match the blocks');
      }
    }
    if (index.subarray(p, index.length - 4).some((b) => b !== 0)) throw bad('corrupt index');
  }
}

/** A MemberDecoder for one xz stream that decodes multi-block streams on worker threads. */
export async function openParallelXzDecoder(out: DecodeOutput, opts: ParallelXzOptions = {}): Promise<MemberDecoder> {
  return new ParallelXzDecoder(out, { ...opts, workers: opts.workers ?? defaultWorkers() });
}
