// Streaming decompression in strict mode (SPEC 2.8), for download and install.
//
// createStrictDecoder() returns a Transform that sniffs the first 6 bytes and
// then either passes the data through unchanged, or runs one MemberDecoder
// (codec/member-decoder.ts) over the rest: exactly one gzip member / one xz
// stream / consecutive zstd frames. Any byte after the member fails with
// "found trailing data after compressed stream"; a truncated member fails
// too. Multi-block xz streams are decoded on worker threads
// (codec/parallel-xz.ts) unless the caller says otherwise. Output comes in chunks of at most 1 MiB and memory stays bounded
// whatever the input size: the codec waits for our reader.

import type { Transform } from 'node:stream';
import { DECOMPRESS_CHUNK_SIZE } from '../util/constants.js';
import { AsyncTransform } from './async-transform.js';
import { TRAILING_DATA, sniffCompression } from './compression.js';
import { openMemberDecoder, type OpenOptions } from './codecs.js';
import type { DecodeOutput, MemberDecoder } from './codec/member-decoder.js';

/**
 * How far decoding may run ahead of the writer: a few output chunks, so
 * liblzma keeps decoding while the previous chunk is being written.
 */
const READ_AHEAD = 4 * DECOMPRESS_CHUNK_SIZE;

/** Bytes needed to sniff (SPEC 2.8). */
const SNIFF_LENGTH = 6;

/** Uncompressed input: passed on as it comes. */
class Stored implements MemberDecoder {
  readonly done = false;
  constructor(private readonly out: DecodeOutput) {}
  async write(input: Buffer): Promise<number> {
    if (input.length > 0) await this.out.emit(input);
    return 0;
  }
  async end(): Promise<number> {
    return 0;
  }
  close(): void {}
}

class StrictDecoder extends AsyncTransform {
  private head: Buffer[] = [];
  private headLength = 0;
  private decoder: MemberDecoder | undefined;

  constructor(private readonly opts: OpenOptions) {
    super(READ_AHEAD);
  }

  protected override release(): void {
    this.decoder?.close();
  }

  /** The codec's output: passed on, waiting while our reader is full. */
  private readonly output: DecodeOutput = { emit: (chunk) => this.pass(chunk) };

  private async open(head: Buffer): Promise<MemberDecoder> {
    const kind = sniffCompression(head.subarray(0, SNIFF_LENGTH));
    this.decoder = kind === 'none' ? new Stored(this.output) : await openMemberDecoder(kind, this.output, this.opts);
    return this.decoder;
  }

  protected async consume(chunk: Buffer): Promise<void> {
    let decoder = this.decoder;
    if (decoder === undefined) {
      this.head.push(chunk);
      this.headLength += chunk.length;
      if (this.headLength < SNIFF_LENGTH) return;
      chunk = Buffer.concat(this.head);
      this.head = [];
      decoder = await this.open(chunk);
    }
    if (decoder.done) {
      if (chunk.length > 0) throw new Error(TRAILING_DATA);
      return;
    }
    if ((await decoder.write(chunk)) > 0) throw new Error(TRAILING_DATA);
  }

  protected async finish(): Promise<void> {
    const decoder = this.decoder ?? (await this.open(Buffer.concat(this.head)));
    if (this.head.length > 0) {
      const head = Buffer.concat(this.head);
      this.head = [];
      if ((await decoder.write(head)) > 0) throw new Error(TRAILING_DATA);
    }
    if ((await decoder.end()) > 0) throw new Error(TRAILING_DATA);
  }
}

/**
 * The strict decoder Transform (see the header comment). By default a
 * multi-block xz stream is decoded on worker threads (codec/parallel-xz.ts);
 * `parallel: false` keeps every codec on this thread.
 */
export function createStrictDecoder(opts: OpenOptions = { parallel: {} }): Transform {
  return new StrictDecoder(opts);
}
