// The one shape every codec has (gzip.ts, xz.ts, zstd.ts, parallel-xz.ts):
// a MemberDecoder takes the compressed bytes of ONE member as they arrive and
// hands decoded chunks of at most 1 MiB to a DecodeOutput, waiting for the
// reader, so memory stays bounded whatever the input size.
//
// Where a member ends no decoder says (SPEC 10.2), so we walk the container
// structure ourselves, without decoding. A framer is a generator that asks
// for bytes ({need: n} gets a Buffer of n bytes, {skip: n} gets nothing);
// FrameScanner drives it over chunks as they arrive (streams) or over one
// Buffer (initrd reading), tracking offsets. Each codec file has its framer.

import { takeChunk } from '../chunk-pool.js';

/** Where decoded bytes go; emit() resolves when the reader wants more. */
export interface DecodeOutput {
  emit(chunk: Buffer): Promise<void>;
}

export interface MemberDecoder {
  /**
   * Decode the next input bytes. Returns how many bytes seen so far turned
   * out NOT to belong to the member (0 until it ended): the caller decides
   * whether they are trailing data (strict mode) or the next member.
   */
  write(input: Buffer): Promise<number>;
  /**
   * End of input: finish the member, or throw if it is incomplete. Returns
   * the bytes held for a lookahead that turned out not to be the member's.
   */
  end(): Promise<number>;
  /** True once the member ended and all its output was emitted. */
  readonly done: boolean;
  /** Release native resources and workers (idempotent; also after errors). */
  close(): void;
}

/**
 * The shape shared by the decoders that see their member through
 * MemberBounds (xz.ts, zstd.ts, offthread.ts): write() and end() are one
 * step() over the next input, with or without the end of input; step()
 * returns the trailing byte count once the member has ended.
 */
export abstract class SteppedDecoder implements MemberDecoder {
  protected ended = false;

  get done(): boolean {
    return this.ended;
  }

  write(input: Buffer): Promise<number> {
    return this.step(input, false);
  }

  async end(): Promise<number> {
    return this.ended ? 0 : this.step(Buffer.alloc(0), true);
  }

  protected abstract step(input: Buffer, eof: boolean): Promise<number>;

  abstract close(): void;
}

export type FrameRequest = { need: number; lookahead?: boolean } | { skip: number };

/** Returns 'lookahead' when the member ended where the last lookahead began. */
export type Framer = Generator<FrameRequest, 'lookahead' | void, Buffer | undefined>;

export class FrameScanner {
  /** Bytes consumed by the scanner so far (absolute offset in the member's input). */
  private pos = 0;
  /** Offset where the member ended, once known. */
  private endOffset = -1;
  private lookaheadStart = -1;
  private request: FrameRequest | undefined;
  private acc: Buffer[] = [];
  private accLen = 0;
  private skipLeft = 0;

  constructor(
    private readonly framer: Framer,
    private readonly eofMessage: string,
  ) {
    this.advance(undefined);
  }

  /** True once the end of the member is known. */
  get done(): boolean {
    return this.endOffset >= 0;
  }

  /** Length of the member (valid when done). */
  get end(): number {
    return this.endOffset;
  }

  /** Bytes that certainly belong to the member (the lookahead may still be undecided). */
  get committed(): number {
    if (this.done) return this.endOffset;
    return this.lookaheadStart >= 0 ? this.lookaheadStart : this.pos;
  }

  private advance(input: Buffer | undefined): void {
    const step = this.framer.next(input);
    if (step.done) {
      this.endOffset = step.value === 'lookahead' ? this.lookaheadStart : this.pos;
      this.request = undefined;
      return;
    }
    this.request = step.value;
    this.acc = [];
    this.accLen = 0;
    if ('skip' in step.value) {
      this.skipLeft = step.value.skip;
      this.lookaheadStart = -1;
    } else if (step.value.lookahead) {
      this.lookaheadStart = this.pos;
    } else {
      this.lookaheadStart = -1;
    }
  }

  /** Feed the next input bytes; returns how many of them were consumed (less than all once done). */
  feed(chunk: Buffer): number {
    let off = 0;
    while (!this.done && this.request !== undefined) {
      const req = this.request;
      if ('skip' in req) {
        if (this.skipLeft === 0) {
          this.advance(undefined);
          continue;
        }
        if (off >= chunk.length) break;
        const n = Math.min(this.skipLeft, chunk.length - off);
        this.skipLeft -= n;
        off += n;
        this.pos += n;
      } else {
        if (this.accLen === req.need) {
          this.advance(this.acc.length === 1 ? this.acc[0] : Buffer.concat(this.acc, this.accLen));
          continue;
        }
        if (off >= chunk.length) break;
        const n = Math.min(req.need - this.accLen, chunk.length - off);
        this.acc.push(chunk.subarray(off, off + n));
        this.accLen += n;
        off += n;
        this.pos += n;
      }
    }
    return off;
  }

  /** End of input: a pending lookahead ends the member; anything else is premature EOF. */
  finish(): void {
    this.feed(Buffer.alloc(0));
    if (this.done) return;
    if (this.request !== undefined && 'need' in this.request && this.request.lookahead) {
      this.endOffset = this.lookaheadStart;
      return;
    }
    throw new Error(this.eofMessage);
  }
}

/** Scan one member over a whole buffer; returns its length. */
export function memberLength(framer: Framer, data: Buffer, eofMessage: string): number {
  const scanner = new FrameScanner(framer, eofMessage);
  scanner.feed(data);
  scanner.finish();
  return scanner.end;
}

/** The framer's Buffer, which a {need} request always gets. */
export function need(buf: Buffer | undefined): Buffer {
  if (buf === undefined) throw new Error('framer: missing input');
  return buf;
}

/**
 * Splits incoming chunks into the bytes that certainly belong to the member
 * (forwarded to the codec) and the rest, with a framer deciding. Bytes held
 * for a lookahead (zstd: "does another frame follow?") wait here.
 */
export class MemberBounds {
  private readonly scanner: FrameScanner;
  private held: Buffer[] = [];
  private forwarded = 0;

  constructor(framer: Framer, eofMessage: string) {
    this.scanner = new FrameScanner(framer, eofMessage);
  }

  get done(): boolean {
    return this.scanner.done;
  }

  /** Member bytes now certain, and the count of seen bytes past the member's end. */
  take(chunk: Buffer, eof: boolean): { forward: Buffer; trailing: number } {
    const used = this.scanner.feed(chunk);
    if (eof) this.scanner.finish();
    this.held.push(chunk.subarray(0, used));
    const upTo = this.scanner.committed;
    let held = this.held.length === 1 ? (this.held[0] ?? Buffer.alloc(0)) : Buffer.concat(this.held);
    const n = upTo - this.forwarded;
    const forward = held.subarray(0, n);
    held = held.subarray(n);
    this.held = held.length > 0 ? [held] : [];
    this.forwarded = upTo;
    const trailing = this.scanner.done ? held.length + chunk.length - used : 0;
    return { forward, trailing };
  }
}

/** Decoded bytes collected into recycled 1 MiB chunks on their way to a DecodeOutput. */
export class ChunkedOutput {
  out = takeChunk();
  outOff = 0;

  constructor(private readonly target: DecodeOutput) {}

  /** Free space in the current chunk. */
  get space(): Buffer {
    return this.out.subarray(this.outOff);
  }

  get full(): boolean {
    return this.outOff === this.out.length;
  }

  async flush(): Promise<void> {
    if (this.outOff === 0) return;
    const full = this.out.subarray(0, this.outOff);
    this.out = takeChunk();
    this.outOff = 0;
    await this.target.emit(full);
  }

  /**
   * Run a synchronous codec over `input` into our chunks, handing each full
   * chunk on (and waiting for the reader) before the codec goes on: memory
   * stays bounded however much one input decodes to. With `toEnd`, keep
   * calling the codec without input until it says its data ended. Returns
   * true once the codec said so.
   */
  async drain(input: Buffer, step: CodecStep, toEnd = false): Promise<boolean> {
    let src = input;
    for (;;) {
      const r = step(src, this.out, this.outOff);
      this.outOff += r.produced;
      src = src.subarray(r.consumed);
      if (r.ended) {
        await this.flush();
        return true;
      }
      if (this.full) {
        // Output space ran out: the codec may hold more, even for no new input.
        await this.flush();
        continue;
      }
      if (src.length === 0 && !toEnd) return false;
    }
  }
}

/** One call into a synchronous codec: input, and output space from out[outOff]. */
export type CodecStep = (input: Buffer, out: Buffer, outOff: number) => { produced: number; consumed: number; ended: boolean };

/** A member that decodes to more than the caller's bound (a decompression bomb). */
export class DecodedTooLargeError extends Error {
  override name = 'DecodedTooLargeError';
  constructor(limit: number) {
    super(`compressed data decodes to more than ${limit} bytes`);
  }
}

/**
 * Decoded bytes kept in memory, failing as soon as they pass `limit`: a
 * decompression bomb costs at most the limit plus one chunk, whatever it
 * claims to decode to.
 */
export class BoundedCollector implements DecodeOutput {
  private chunks: Buffer[] = [];
  private length = 0;

  constructor(private readonly limit: number) {}

  async emit(chunk: Buffer): Promise<void> {
    this.length += chunk.length;
    if (this.length > this.limit) throw new DecodedTooLargeError(this.limit);
    this.chunks.push(chunk);
  }

  /** Everything collected, in one buffer of its own (the chunks are 1 MiB each, however little they hold). */
  result(): Buffer {
    const all = Buffer.concat(this.chunks, this.length);
    this.chunks = [];
    return all;
  }
}
