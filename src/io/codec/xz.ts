// xz (one stream, SPEC 2.8): its framing and its decoder.
//
// Framing: stream header, blocks (block header, then the compressed size from
// the header or a walk over LZMA2 chunk headers, padding, check), index,
// footer. Exactly one stream.
//
// Decoding: liblzma driven synchronously through node-liblzma's native
// handle: no thread-pool round trip per slice (the Transform API cost 2x the
// time of `xz -dc` on large images), and output is produced only as fast as
// it is read, so memory stays bounded on highly compressible data.

import { XZ_EOF, XZ_FOOTER_MAGIC, XZ_MAGIC } from '../compression.js';
import {
  ChunkedOutput,
  MemberBounds,
  SteppedDecoder,
  need,
  type DecodeOutput,
  type FrameRequest,
  type Framer,
  type MemberDecoder,
} from './member-decoder.js';

export const XZ_HEADER_SIZE = 12;
export const XZ_FOOTER_SIZE = 12;
const LZMA2_FILTER_ID = 0x21;

export function readVarint(buf: Buffer, start: number): { value: number; next: number } {
  let value = 0;
  let shift = 1;
  for (let i = start; i < buf.length && i < start + 9; i++) {
    const b = buf[i] ?? 0;
    value += (b & 0x7f) * shift;
    shift *= 128;
    if ((b & 0x80) === 0) return { value, next: i + 1 };
  }
  throw new Error('xz: invalid variable-length integer');
}

function* varint(): Generator<FrameRequest, { value: number; length: number }, Buffer | undefined> {
  let value = 0;
  let shift = 1;
  for (let length = 1; length <= 9; length++) {
    const b = (yield { need: 1 })?.[0] ?? 0;
    value += (b & 0x7f) * shift;
    shift *= 128;
    if ((b & 0x80) === 0) return { value, length };
  }
  throw new Error('xz: invalid variable-length integer in index');
}

/** Size of the LZMA2 data of one block, walking its chunk headers. */
function* lzma2Length(): Generator<FrameRequest, number, Buffer | undefined> {
  let length = 0;
  for (;;) {
    const control = need(yield { need: 1 })[0] ?? 0;
    length += 1;
    if (control === 0x00) return length;
    if (control === 0x01 || control === 0x02) {
      const size = need(yield { need: 2 }).readUInt16BE(0) + 1;
      yield { skip: size };
      length += 2 + size;
    } else if (control >= 0x80) {
      const headerLength = control >= 0xc0 ? 5 : 4;
      const packed = need(yield { need: headerLength }).readUInt16BE(2) + 1;
      yield { skip: packed };
      length += headerLength + packed;
    } else {
      throw new Error('xz: corrupt LZMA2 data');
    }
  }
}

/** Size of the check field for a stream-flags check type. */
export function checkSize(checkType: number): number {
  return checkType === 0 ? 0 : 4 << Math.floor((checkType - 1) / 3);
}

/** What a block header says (the block header size byte is `raw[0]`). */
export interface BlockHeader {
  headerSize: number;
  compressedSize: number | undefined;
  uncompressedSize: number | undefined;
  lastFilter: number;
}

/** Parse a whole block header (`raw` starts with its size byte). */
export function parseBlockHeader(raw: Buffer): BlockHeader {
  const headerSize = ((raw[0] ?? 0) + 1) * 4;
  const flags = raw[1] ?? 0;
  let p = 2;
  let compressedSize: number | undefined;
  let uncompressedSize: number | undefined;
  if (flags & 0x40) {
    const v = readVarint(raw, p);
    compressedSize = v.value;
    p = v.next;
  }
  if (flags & 0x80) {
    const v = readVarint(raw, p);
    uncompressedSize = v.value;
    p = v.next;
  }
  let lastFilter = -1;
  for (let f = 0; f <= (flags & 0x03); f++) {
    const id = readVarint(raw, p);
    const propsSize = readVarint(raw, id.next);
    lastFilter = id.value;
    p = propsSize.next + propsSize.value;
  }
  return { headerSize, compressedSize, uncompressedSize, lastFilter };
}

/** A block as the framer found it; offsets are from the start of the stream. */
export interface FramedBlock extends BlockHeader {
  start: number;
  /** End of the block (after padding and check), once known. */
  end: number;
  /** Block header + compressed data + check, without padding (the index's "unpadded size"). */
  unpaddedSize: number;
}

/** Told where blocks and the index are, as soon as the framer knows. */
export interface XzLayoutObserver {
  /** The stream header (12 bytes). */
  streamHeader?(header: Buffer): void;
  /** A block header was read (its end may not be known yet). */
  blockHeader?(start: number, header: BlockHeader): void;
  /** A block whose end is known; called when its header is read if it states its size. */
  block?(block: FramedBlock): void;
  /** The index starts at `start` (after the last block). */
  index?(start: number): void;
}

/** One xz stream, header to footer. */
export function* xzFramer(observer: XzLayoutObserver = {}): Framer {
  const header = need(yield { need: XZ_HEADER_SIZE });
  if (!header.subarray(0, 6).equals(XZ_MAGIC)) throw new Error('xz: invalid stream header');
  observer.streamHeader?.(header);
  const check = checkSize((header[7] ?? 0) & 0x0f);
  let pos = XZ_HEADER_SIZE;
  for (;;) {
    const sizeByte = need(yield { need: 1 })[0] ?? 0;
    if (sizeByte === 0) break; // index indicator
    const rest = need(yield { need: (sizeByte + 1) * 4 - 1 });
    const block = parseBlockHeader(Buffer.concat([Buffer.from([sizeByte]), rest]));
    observer.blockHeader?.(pos, block);
    const framed = (dataLength: number): FramedBlock => {
      const padding = (4 - ((block.headerSize + dataLength) % 4)) % 4;
      const unpaddedSize = block.headerSize + dataLength + check;
      return { ...block, start: pos, end: pos + unpaddedSize + padding, unpaddedSize };
    };
    let found: FramedBlock;
    if (block.compressedSize !== undefined) {
      found = framed(block.compressedSize);
      observer.block?.(found);
      yield { skip: block.compressedSize };
    } else if (block.lastFilter === LZMA2_FILTER_ID) {
      found = framed(yield* lzma2Length());
      observer.block?.(found);
    } else {
      throw new Error('xz: unsupported filter chain');
    }
    yield { skip: found.end - found.start - found.unpaddedSize + check };
    pos = found.end;
  }
  observer.index?.(pos);
  let indexLength = 1;
  const count = yield* varint();
  indexLength += count.length;
  for (let r = 0; r < count.value * 2; r++) indexLength += (yield* varint()).length;
  yield { skip: ((4 - (indexLength % 4)) % 4) + 4 };
  const footer = need(yield { need: XZ_FOOTER_SIZE });
  if (!footer.subarray(10, 12).equals(XZ_FOOTER_MAGIC)) throw new Error('xz: invalid stream footer');
}

/** liblzma's native handle: returns [status, avail_in after, avail_out after]. */
export interface LzmaHandle {
  codeSync(action: number, input: Buffer, inOff: number, inLen: number, out: Buffer, outOff: number): [number, number, number];
  close(): void;
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

export interface XzCodec {
  handle: LzmaHandle;
  run: number;
  finish: number;
  ok: number;
  streamEnd: number;
  error(status: number): Error;
}

/** Load node-liblzma ahead of the first openXzCodec(), which reports a failure. */
export async function preloadXz(): Promise<void> {
  await import('node-liblzma').catch(() => undefined);
}

/** A fresh liblzma stream decoder. */
export async function openXzCodec(): Promise<XzCodec> {
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

/**
 * Run `input` through liblzma into `sink`; with `finish`, to the end of the
 * stream. Returns true at the stream end.
 */
export function xzCode(codec: XzCodec, input: Buffer, finish: boolean, sink: ChunkedOutput): Promise<boolean> {
  const action = finish ? codec.finish : codec.run;
  return sink.drain(
    input,
    (src, out, outOff) => {
      const space = out.length - outOff;
      const [status, inAfter, outAfter] = codec.handle.codeSync(action, src, 0, src.length, out, outOff);
      if (status !== codec.ok && status !== codec.streamEnd) throw codec.error(status);
      return { produced: space - outAfter, consumed: src.length - inAfter, ended: status === codec.streamEnd };
    },
    finish,
  );
}

/** One xz stream, decoded on the calling thread. */
class XzDecoder extends SteppedDecoder {
  private readonly bounds = new MemberBounds(xzFramer(), XZ_EOF);
  private readonly sink: ChunkedOutput;
  private closed = false;

  constructor(
    private readonly codec: XzCodec,
    out: DecodeOutput,
  ) {
    super();
    this.sink = new ChunkedOutput(out);
  }

  protected async step(input: Buffer, eof: boolean): Promise<number> {
    if (this.ended) return input.length;
    const { forward, trailing } = this.bounds.take(input, eof);
    await xzCode(this.codec, forward, false, this.sink);
    if (!this.bounds.done) return 0;
    await xzCode(this.codec, Buffer.alloc(0), true, this.sink);
    this.ended = true;
    this.close();
    return trailing;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.codec.handle.close();
  }
}

export async function openXzDecoder(out: DecodeOutput): Promise<MemberDecoder> {
  return new XzDecoder(await openXzCodec(), out);
}
