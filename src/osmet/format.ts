// The osmet file format (OSMET.md; SPEC 3.3.1), PURE: bincode 1.3 with varint
// integers, as upstream's Rust tool writes it. A file is a header, a table of
// partitions whose mappings say which disk extents are OSTree object bytes,
// the image's SHA-256 and size, then one xz stream of every other byte.
//
// Decoding works on a buffer that may hold only the start of the file: a
// decoder that runs out of bytes throws TruncatedError, so a reader can read
// more and try again (osmet-file.ts) without knowing the table size up front.

export const OSMET_MAGIC = Buffer.from('OSMET\0\0\0', 'latin1');
export const OSMET_VERSION = 1;

export interface OsmetHeader {
  version: number;
  appVersion: string;
  sectorSize: number;
  osDescription: string;
  osArchitecture: string;
}

export interface Extent {
  /** Offset inside the object file. */
  logical: number;
  /** Offset from the partition start. */
  physical: number;
  length: number;
}

export interface Mapping {
  extent: Extent;
  /** 32 bytes: the OSTree object checksum. */
  object: Buffer;
}

export interface OsmetPartition {
  startOffset: number;
  endOffset: number;
  mappings: Mapping[];
}

export interface OsmetTable {
  partitions: OsmetPartition[];
  /** 32 bytes: SHA-256 of the whole unpacked image. */
  checksum: Buffer;
  size: number;
}

/** The input ended inside a value; more bytes may complete it. */
export class TruncatedError extends Error {
  override name = 'TruncatedError';
  constructor() {
    super('failed to fill whole buffer');
  }
}

const U16_BYTE = 0xfb;
const U32_BYTE = 0xfc;
const U64_BYTE = 0xfd;

/** A cursor over a buffer, decoding bincode's varint layout. */
export class Decoder {
  constructor(
    private readonly buf: Buffer,
    public offset = 0,
  ) {}

  private need(n: number): void {
    if (this.offset + n > this.buf.length) throw new TruncatedError();
  }

  bytes(n: number): Buffer {
    this.need(n);
    const out = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  u8(): number {
    this.need(1);
    return this.buf[this.offset++] as number;
  }

  /** A varint u64 as a JS number (offsets and sizes stay far below 2^53). */
  u64(): number {
    const tag = this.u8();
    if (tag < U16_BYTE) return tag;
    if (tag === U16_BYTE) {
      const v = this.bytes(2).readUInt16LE(0);
      return v;
    }
    if (tag === U32_BYTE) return this.bytes(4).readUInt32LE(0);
    if (tag === U64_BYTE) {
      const v = this.bytes(8).readBigUInt64LE(0);
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`value ${v} too large`);
      return Number(v);
    }
    throw new Error('Invalid value (u128 range): you may have a version disagreement?');
  }

  u32(): number {
    const v = this.u64();
    if (v > 0xffffffff) throw new Error(`Invalid u32 ${v}: you may have a version disagreement?`);
    return v;
  }

  string(): string {
    const len = this.u64();
    const raw = this.bytes(len);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(raw);
    } catch {
      throw new Error('invalid utf-8 sequence in string');
    }
  }
}

/** Appends bincode varint values to a growing list of buffers. */
export class Encoder {
  private parts: Buffer[] = [];

  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }

  u64(v: number): this {
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`cannot encode ${v} as u64`);
    let b: Buffer;
    if (v < U16_BYTE) {
      b = Buffer.from([v]);
    } else if (v < 0x10000) {
      b = Buffer.alloc(3);
      b[0] = U16_BYTE;
      b.writeUInt16LE(v, 1);
    } else if (v < 0x100000000) {
      b = Buffer.alloc(5);
      b[0] = U32_BYTE;
      b.writeUInt32LE(v, 1);
    } else {
      b = Buffer.alloc(9);
      b[0] = U64_BYTE;
      b.writeBigUInt64LE(BigInt(v), 1);
    }
    this.parts.push(b);
    return this;
  }

  u32(v: number): this {
    if (v > 0xffffffff) throw new Error(`cannot encode ${v} as u32`);
    return this.u64(v);
  }

  string(s: string): this {
    const b = Buffer.from(s, 'utf8');
    return this.u64(b.length).raw(b);
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** Header; checks the magic and version as upstream does. */
export function decodeHeader(d: Decoder): OsmetHeader {
  // The magic is checked first, so any other file says so rather than failing inside a string.
  if (!d.bytes(OSMET_MAGIC.length).equals(OSMET_MAGIC)) throw new Error('not an OSMET file!');
  const version = d.u32();
  if (version !== OSMET_VERSION) throw new Error(`incompatible OSMET file version ${version}`);
  const appVersion = d.string();
  const sectorSize = d.u32();
  const osDescription = d.string();
  const osArchitecture = d.string();
  return { version, appVersion, sectorSize, osDescription, osArchitecture };
}

export function encodeHeader(e: Encoder, h: Omit<OsmetHeader, 'version'>): Encoder {
  return e.raw(OSMET_MAGIC).u32(OSMET_VERSION).string(h.appVersion).u32(h.sectorSize).string(h.osDescription).string(h.osArchitecture);
}

export function decodeTable(d: Decoder): OsmetTable {
  const count = d.u64();
  const partitions: OsmetPartition[] = [];
  for (let i = 0; i < count; i++) {
    const startOffset = d.u64();
    const endOffset = d.u64();
    const n = d.u64();
    const mappings: Mapping[] = [];
    for (let j = 0; j < n; j++) {
      const logical = d.u64();
      const physical = d.u64();
      const length = d.u64();
      const object = Buffer.from(d.bytes(32));
      mappings.push({ extent: { logical, physical, length }, object });
    }
    partitions.push({ startOffset, endOffset, mappings });
  }
  const checksum = Buffer.from(d.bytes(32));
  const size = d.u64();
  return { partitions, checksum, size };
}

export function encodeTable(e: Encoder, t: OsmetTable): Encoder {
  e.u64(t.partitions.length);
  for (const p of t.partitions) {
    e.u64(p.startOffset).u64(p.endOffset).u64(p.mappings.length);
    for (const m of p.mappings) {
      if (m.object.length !== 32) throw new Error('object checksum must be 32 bytes');
      e.u64(m.extent.logical).u64(m.extent.physical).u64(m.extent.length).raw(m.object);
    }
  }
  if (t.checksum.length !== 32) throw new Error('image checksum must be 32 bytes');
  return e.raw(t.checksum).u64(t.size);
}

/**
 * The table checks made on read (OSMET.md): at least one partition; inside a
 * partition, mappings sorted by physical offset and not overlapping. Files
 * written by upstream always pass; unpacking additionally needs the whole
 * layout in disk order (checked as it walks, see unpack.ts).
 */
export function validateTable(t: OsmetTable): void {
  if (t.partitions.length === 0) throw new Error('osmet file has no partitions');
  for (const p of t.partitions) {
    if (p.endOffset < p.startOffset) throw new Error(`partition end ${p.endOffset} before its start ${p.startOffset}`);
    let end = 0;
    for (const m of p.mappings) {
      if (m.extent.physical < end) {
        throw new Error(
          `mappings of partition at offset ${p.startOffset} are not sorted or overlap at physical offset ${m.extent.physical}`,
        );
      }
      end = m.extent.physical + m.extent.length;
    }
  }
}

/** The file name of an object: `objects/<2 hex>/<62 hex>.file` relative to the repository. */
export function objectPath(object: Buffer): string {
  const hex = object.toString('hex');
  return `objects/${hex.slice(0, 2)}/${hex.slice(2)}.file`;
}

/**
 * Canonical extents of one partition (OSMET.md "Packing"): sorted by physical
 * offset, longest first; an extent wholly inside the previous one is dropped;
 * one that overlaps it is trimmed at its start.
 */
export function canonicalizeMappings(mappings: Mapping[]): Mapping[] {
  const sorted = [...mappings].sort((a, b) => a.extent.physical - b.extent.physical || b.extent.length - a.extent.length);
  const out: Mapping[] = [];
  for (const m of sorted) {
    if (m.extent.length === 0) continue;
    const prev = out[out.length - 1];
    if (prev === undefined) {
      out.push(m);
      continue;
    }
    const prevEnd = prev.extent.physical + prev.extent.length;
    const end = m.extent.physical + m.extent.length;
    if (end <= prevEnd) continue;
    if (m.extent.physical < prevEnd) {
      const cut = prevEnd - m.extent.physical;
      out.push({ object: m.object, extent: { logical: m.extent.logical + cut, physical: prevEnd, length: m.extent.length - cut } });
    } else {
      out.push(m);
    }
  }
  return out;
}
