// Where does one compressed member end? No decoder says (SPEC 10.2), so we
// walk the container structure ourselves, without decoding:
//
// * xz: stream header, blocks (block header, then the compressed size from the
//   header or a walk over LZMA2 chunk headers, padding, check), index, footer.
//   Exactly one stream (SPEC 2.8).
// * zstd: frames (header, block headers, optional checksum) and skippable
//   frames, one after another while the next 4 bytes are a frame magic.
// * gzip: only the header (FEXTRA/FNAME/FCOMMENT/FHCRC); the deflate body's end
//   is found by zlib (inflateRaw's bytesWritten) and the 8-byte trailer follows.
//
// A framer is a generator that asks for bytes ({need: n} gets a Buffer of n
// bytes, {skip: n} gets nothing). FrameScanner drives it over chunks as they
// arrive (streams) or over one Buffer (initrd reading), tracking offsets.

export type FrameRequest =
  | { need: number; lookahead?: boolean }
  | { skip: number };

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

function readVarint(buf: Buffer, start: number): { value: number; next: number } {
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

const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
const LZMA2_FILTER_ID = 0x21;

function need(buf: Buffer | undefined): Buffer {
  if (buf === undefined) throw new Error('framer: missing input');
  return buf;
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

function checkSize(checkType: number): number {
  return checkType === 0 ? 0 : 4 << Math.floor((checkType - 1) / 3);
}

/** One xz stream, header to footer. */
export function* xzFramer(): Framer {
  const header = need(yield { need: 12 });
  if (!header.subarray(0, 6).equals(XZ_MAGIC)) throw new Error('xz: invalid stream header');
  const check = checkSize((header[7] ?? 0) & 0x0f);
  for (;;) {
    const sizeByte = need(yield { need: 1 })[0] ?? 0;
    if (sizeByte === 0) break; // index indicator
    const headerSize = (sizeByte + 1) * 4;
    const rest = need(yield { need: headerSize - 1 });
    const flags = rest[0] ?? 0;
    let p = 1;
    let compressedSize: number | undefined;
    if (flags & 0x40) {
      const v = readVarint(rest, p);
      compressedSize = v.value;
      p = v.next;
    }
    if (flags & 0x80) p = readVarint(rest, p).next;
    let lastFilter = -1;
    for (let f = 0; f <= (flags & 0x03); f++) {
      const id = readVarint(rest, p);
      const propsSize = readVarint(rest, id.next);
      lastFilter = id.value;
      p = propsSize.next + propsSize.value;
    }
    let dataLength: number;
    if (compressedSize !== undefined) {
      yield { skip: compressedSize };
      dataLength = compressedSize;
    } else if (lastFilter === LZMA2_FILTER_ID) {
      dataLength = yield* lzma2Length();
    } else {
      throw new Error('xz: unsupported filter chain');
    }
    const padding = (4 - ((headerSize + dataLength) % 4)) % 4;
    yield { skip: padding + check };
  }
  let indexLength = 1;
  const count = yield* varint();
  indexLength += count.length;
  for (let r = 0; r < count.value * 2; r++) indexLength += (yield* varint()).length;
  yield { skip: ((4 - (indexLength % 4)) % 4) + 4 };
  const footer = need(yield { need: 12 });
  if (footer[10] !== 0x59 || footer[11] !== 0x5a) throw new Error('xz: invalid stream footer');
}

const ZSTD_MAGIC = 0xfd2fb528;

export function isZstdMagic(v: number): boolean {
  return v === ZSTD_MAGIC || (v & 0xfffffff0) >>> 0 === 0x184d2a50;
}

/** zstd frames (and skippable frames) while the next 4 bytes start one. */
export function* zstdFramer(): Framer {
  for (let first = true; ; first = false) {
    const magicBytes = yield { need: 4, lookahead: !first };
    const magic = need(magicBytes).readUInt32LE(0);
    if (magic !== ZSTD_MAGIC) {
      if (!isZstdMagic(magic)) return 'lookahead';
      yield { skip: need(yield { need: 4 }).readUInt32LE(0) };
      continue;
    }
    const fhd = need(yield { need: 1 })[0] ?? 0;
    const fcsFlag = fhd >> 6;
    const single = (fhd >> 5) & 1;
    const hasChecksum = (fhd >> 2) & 1;
    const dictSize = [0, 1, 2, 4][fhd & 3] ?? 0;
    const fcsSize = fcsFlag === 0 ? single : ([0, 2, 4, 8][fcsFlag] ?? 0);
    yield { skip: (single ? 0 : 1) + dictSize + fcsSize };
    for (;;) {
      const bh = need(yield { need: 3 });
      const v = (bh[0] ?? 0) | ((bh[1] ?? 0) << 8) | ((bh[2] ?? 0) << 16);
      const type = (v >> 1) & 3;
      if (type === 3) throw new Error('zstd: reserved block type');
      yield { skip: type === 1 ? 1 : v >>> 3 };
      if (v & 1) break;
    }
    if (hasChecksum) yield { skip: 4 };
  }
}

/** The gzip member header (RFC 1952); the scanner's end is the deflate start. */
export function* gzipHeaderFramer(): Framer {
  const h = need(yield { need: 10 });
  if (h[0] !== 0x1f || h[1] !== 0x8b) throw new Error('gzip: invalid header');
  if (h[2] !== 8) throw new Error('gzip: unsupported compression method');
  const flags = h[3] ?? 0;
  if (flags & 0x04) yield { skip: need(yield { need: 2 }).readUInt16LE(0) };
  for (const bit of [0x08, 0x10]) {
    if (flags & bit) while (need(yield { need: 1 })[0] !== 0);
  }
  if (flags & 0x02) yield { skip: 2 };
}
