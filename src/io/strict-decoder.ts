// Streaming decompression in strict mode (SPEC 2.8), for download and install.
//
// createStrictDecoder() returns a Transform that sniffs the first 6 bytes and
// then either passes the data through unchanged, or decodes exactly one gzip
// member / one xz stream / consecutive zstd frames. Any byte after the member
// fails with "found trailing data after compressed stream"; a truncated member
// fails too. Output comes in 1 MiB chunks (zlib, liblzma) and memory stays
// bounded whatever the input size: the decoder waits for its reader.
//
// Member ends: xz and zstd are walked structurally (member-frame.ts) and only
// the member's bytes reach the codec; gzip's deflate end comes from zlib
// (InflateRaw stops early, its bytesWritten counts the input it used), then the
// 8-byte trailer is checked here.

import { Transform, type TransformCallback } from 'node:stream';
import { crc32, createInflateRaw } from 'node:zlib';
import { DECOMPRESS_CHUNK_SIZE } from '../util/constants.js';
import { takeChunk } from './chunk-pool.js';
import { FrameScanner, gzipHeaderFramer, xzFramer, zstdFramer } from './member-frame.js';
import {
  GZIP_EOF,
  TRAILING_DATA,
  XZ_EOF,
  ZSTD_EOF,
  checkGzipTrailer,
  sniffCompression,
} from './decompress.js';

/**
 * liblzma driven synchronously through node-liblzma's native handle, like
 * zstd's DCtx below: no thread-pool round trip per slice (the Transform API
 * cost 2x the time of `xz -dc` on large images), and output is produced only
 * as fast as it is read, so memory stays bounded on highly compressible data.
 */
interface LzmaHandle {
  /** Returns [status, avail_in after, avail_out after]; output space is out.length - outOff. */
  codeSync(action: number, input: Buffer, inOff: number, inLen: number, out: Buffer, outOff: number): [number, number, number];
  close(): void;
}

interface XzCodec {
  handle: LzmaHandle;
  run: number;
  finish: number;
  ok: number;
  streamEnd: number;
  error(status: number): Error;
}

/** liblzma's texts for its lzma_ret error codes (as node-liblzma words them). */
const LZMA_MESSAGES: Record<number, string> = {
  5: 'Cannot allocate memory',
  6: 'Memory usage limit reached',
  7: 'File format not recognized',
  8: 'Invalid or unsupported options',
  9: 'Data is corrupt',
  10: 'No progress is possible',
  11: 'Programming error',
};

async function openXzCodec(): Promise<XzCodec> {
  const lz = await import('node-liblzma');
  // The Unxz stream object only serves to initialise the decoder; its native handle does the work.
  const handle = (lz.createUnxz({}) as unknown as { lzma: LzmaHandle }).lzma;
  return {
    handle,
    run: lz.LZMA_RUN,
    finish: lz.LZMA_FINISH,
    ok: lz.LZMA_OK,
    streamEnd: lz.LZMA_STREAM_END,
    error: (status) => new Error(LZMA_MESSAGES[status] ?? `liblzma error ${status}`),
  };
}

/** A codec Transform run inside ours, with its errors and end turned into promises. */
class Inner {
  readonly ended: Promise<void>;
  private readonly failed: Promise<never>;
  constructor(
    readonly stream: Transform,
    onData: (b: Buffer) => boolean,
  ) {
    this.failed = new Promise<never>((_, reject) => stream.once('error', reject));
    this.failed.catch(() => undefined);
    this.ended = Promise.race([new Promise<void>((resolve) => stream.once('end', resolve)), this.failed]);
    this.ended.catch(() => undefined);
    stream.on('data', (b: Buffer) => {
      if (!onData(b)) stream.pause();
    });
  }
  write(buf: Buffer): Promise<void> {
    const written = new Promise<void>((resolve, reject) => {
      this.stream.write(buf, (err) => (err ? reject(err) : resolve()));
    });
    return Promise.race([written, this.failed]);
  }
  async finish(): Promise<void> {
    this.stream.end();
    await this.ended;
  }
}

interface ZstdDCtx {
  decompressStream(dst: Uint8Array, src: Uint8Array): [number, number, number];
}

interface ZstdBinding {
  DCtx: new () => ZstdDCtx;
}

type Phase =
  | { kind: 'sniff'; head: Buffer[]; length: number }
  | { kind: 'none' }
  | { kind: 'xz'; scanner: FrameScanner; codec: XzCodec; held: Buffer[]; forwarded: number }
  | { kind: 'zstd'; scanner: FrameScanner; dctx: ZstdDCtx; held: Buffer[]; forwarded: number }
  | { kind: 'gzip-header'; scanner: FrameScanner }
  | { kind: 'gzip-body'; inner: Inner; fed: number }
  | { kind: 'gzip-trailer'; trailer: Buffer }
  | { kind: 'done' };

/**
 * How far decoding may run ahead of the writer: a few output chunks, so
 * liblzma keeps decoding while the previous chunk is being written.
 */
const READ_AHEAD = 4 * DECOMPRESS_CHUNK_SIZE;

class StrictDecoder extends Transform {
  constructor() {
    super({ readableHighWaterMark: READ_AHEAD });
  }

  private phase: Phase = { kind: 'sniff', head: [], length: 0 };
  private demand: (() => void) | undefined;
  private out = takeChunk();
  private outOff = 0;
  private crc = 0;
  private size = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.handle(chunk).then(() => cb(), cb);
  }

  override _flush(cb: TransformCallback): void {
    this.finishInput().then(() => cb(), cb);
  }

  override _read(size: number): void {
    const p = this.phase;
    if (p.kind === 'gzip-body') p.inner.stream.resume();
    const wake = this.demand;
    this.demand = undefined;
    wake?.();
    super._read(size);
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    const p = this.phase;
    if (p.kind === 'gzip-body') p.inner.stream.destroy();
    if (p.kind === 'xz') p.codec.handle.close();
    cb(err);
  }

  private async output(buf: Buffer): Promise<void> {
    if (!this.push(buf)) await new Promise<void>((resolve) => (this.demand = resolve));
  }

  private async start(head: Buffer): Promise<void> {
    const kind = sniffCompression(head.subarray(0, 6));
    if (kind === 'none') {
      this.phase = { kind: 'none' };
    } else if (kind === 'xz') {
      const codec = await openXzCodec();
      this.phase = { kind: 'xz', scanner: new FrameScanner(xzFramer(), XZ_EOF), codec, held: [], forwarded: 0 };
    } else if (kind === 'zstd') {
      // binding.js assigns module.exports dynamically: Node's ESM loader only exposes `default`.
      const mod = (await import('zstd-napi/binding.js')) as unknown as ZstdBinding & { default?: ZstdBinding };
      const dctx = new (mod.default ?? mod).DCtx();
      this.phase = { kind: 'zstd', scanner: new FrameScanner(zstdFramer(), ZSTD_EOF), dctx, held: [], forwarded: 0 };
    } else {
      this.phase = { kind: 'gzip-header', scanner: new FrameScanner(gzipHeaderFramer(), GZIP_EOF) };
    }
    await this.handle(head);
  }

  private async handle(chunk: Buffer): Promise<void> {
    const p = this.phase;
    switch (p.kind) {
      case 'sniff': {
        p.head.push(chunk);
        p.length += chunk.length;
        if (p.length >= 6) await this.start(Buffer.concat(p.head));
        return;
      }
      case 'none':
        await this.output(chunk);
        return;
      case 'xz':
      case 'zstd':
        return this.handleFramed(p, chunk);
      case 'gzip-header': {
        const used = p.scanner.feed(chunk);
        if (!p.scanner.done) return;
        const stream = createInflateRaw({ chunkSize: DECOMPRESS_CHUNK_SIZE });
        const inner = new Inner(stream, (b) => {
          this.crc = crc32(b, this.crc);
          this.size += b.length;
          return this.push(b);
        });
        this.phase = { kind: 'gzip-body', inner, fed: 0 };
        if (used < chunk.length) await this.handle(chunk.subarray(used));
        return;
      }
      case 'gzip-body': {
        p.fed += chunk.length;
        await p.inner.write(chunk);
        const unused = p.fed - (p.inner.stream as unknown as { bytesWritten: number }).bytesWritten;
        if (unused > 0) {
          await p.inner.ended;
          this.phase = { kind: 'gzip-trailer', trailer: Buffer.alloc(0) };
          await this.handle(chunk.subarray(chunk.length - unused));
        }
        return;
      }
      case 'gzip-trailer': {
        const trailer = Buffer.concat([p.trailer, chunk]);
        if (trailer.length < 8) {
          p.trailer = trailer;
          return;
        }
        checkGzipTrailer(trailer, this.crc, this.size);
        this.phase = { kind: 'done' };
        if (trailer.length > 8) throw new Error(TRAILING_DATA);
        return;
      }
      case 'done':
        if (chunk.length > 0) throw new Error(TRAILING_DATA);
        return;
    }
  }

  private async handleFramed(
    p: Extract<Phase, { kind: 'xz' | 'zstd' }>,
    chunk: Buffer,
    eof = false,
  ): Promise<void> {
    const used = p.scanner.feed(chunk);
    if (eof) p.scanner.finish();
    p.held.push(chunk.subarray(0, used));
    const upTo = p.scanner.committed;
    let held = p.held.length === 1 ? (p.held[0] ?? Buffer.alloc(0)) : Buffer.concat(p.held);
    const n = upTo - p.forwarded;
    const forward = held.subarray(0, n);
    held = held.subarray(n);
    p.held = held.length > 0 ? [held] : [];
    p.forwarded = upTo;
    if (p.kind === 'xz') await this.xzWrite(p.codec, forward, false);
    else await this.zstdWrite(p.dctx, forward);
    if (!p.scanner.done) return;
    if (held.length > 0 || used < chunk.length) throw new Error(TRAILING_DATA);
    if (p.kind === 'xz') {
      await this.xzWrite(p.codec, Buffer.alloc(0), true);
      p.codec.handle.close();
    } else {
      await this.flushOut();
    }
    this.phase = { kind: 'done' };
  }

  /** Feed one slice of the member; with `finish`, run liblzma to the end of the stream. */
  private async xzWrite(codec: XzCodec, input: Buffer, finish: boolean): Promise<void> {
    let inOff = 0;
    let inLen = input.length;
    for (;;) {
      const space = this.out.length - this.outOff;
      const [status, inAfter, outAfter] = codec.handle.codeSync(
        finish ? codec.finish : codec.run,
        input,
        inOff,
        inLen,
        this.out,
        this.outOff,
      );
      if (status !== codec.ok && status !== codec.streamEnd) throw codec.error(status);
      this.outOff += space - outAfter;
      inOff += inLen - inAfter;
      inLen = inAfter;
      if (status === codec.streamEnd) return this.flushOut();
      if (this.outOff === this.out.length) {
        // Output space ran out: liblzma may hold more, even for no new input.
        await this.flushOut();
        continue;
      }
      if (inLen === 0 && !finish) return;
    }
  }

  private async zstdWrite(dctx: ZstdDCtx, input: Buffer): Promise<void> {
    let src = input;
    for (;;) {
      const [, produced, consumed] = dctx.decompressStream(this.out.subarray(this.outOff), src);
      this.outOff += produced;
      src = src.subarray(consumed);
      if (this.outOff === this.out.length) {
        // Output space ran out: the decoder may hold more, even for no new input.
        await this.flushOut();
        continue;
      }
      if (src.length === 0) return;
    }
  }

  private async flushOut(): Promise<void> {
    if (this.outOff === 0) return;
    const full = this.out.subarray(0, this.outOff);
    this.out = takeChunk();
    this.outOff = 0;
    await this.output(full);
  }

  private async finishInput(): Promise<void> {
    const p = this.phase;
    switch (p.kind) {
      case 'sniff':
        await this.start(Buffer.concat(p.head));
        if (this.phase.kind !== 'sniff') await this.finishInput();
        return;
      case 'none':
      case 'done':
        return;
      case 'xz':
      case 'zstd':
        return this.handleFramed(p, Buffer.alloc(0), true);
      case 'gzip-header':
        throw new Error(GZIP_EOF);
      case 'gzip-body': {
        await p.inner.finish();
        const unused = p.fed - (p.inner.stream as unknown as { bytesWritten: number }).bytesWritten;
        if (unused === 0) throw new Error(GZIP_EOF);
        // The member ended inside the last chunk: handled by handle(); unreachable otherwise.
        return;
      }
      case 'gzip-trailer':
        throw new Error(GZIP_EOF);
    }
  }
}

/** The strict decoder Transform (see the header comment). */
export function createStrictDecoder(): Transform {
  return new StrictDecoder();
}
