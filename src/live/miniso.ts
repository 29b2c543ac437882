// PURE: the minimal-ISO data file `<FAMILY>/MINISO.DAT` (SPEC 4.13.2): bincode
// 1.x with little-endian varint integers. A header (magic, version, the
// packer's version), then a table of byte ranges the minimal ISO shares with
// the full ISO, the SHA-256 of the minimal ISO, and an xz stream holding every
// other byte of the minimal ISO.

import { ContextError, withContextSync } from '../util/errors.js';
import { decodeUtf8 } from '../util/text.js';

export const MINISO_MAGIC = Buffer.from('MINISO\0\0', 'latin1');
export const MINISO_VERSION = 1;
/** Decoding never reads past this many bytes of the data file. */
export const MINISO_DATA_MAX_SIZE = 1024 * 1024;
export const MINISO_BLOCK_SIZE = 2048;

export interface MinisoEntry {
  /** Block address in the minimal ISO. */
  minimal: number;
  /** Block address in the full ISO. */
  full: number;
  /** Length in bytes. */
  length: number;
}

export interface MinisoData {
  appVersion: string;
  entries: MinisoEntry[];
  /** SHA-256 of the complete minimal ISO. */
  digest: Buffer;
  /** xz stream of the minimal ISO without the table's byte ranges. */
  xzpacked: Buffer;
}

const U16_TAG = 251;
const U32_TAG = 252;
const U64_TAG = 253;
const U128_TAG = 254;

/** bincode's io failures are printed as "io error: <cause>" with the cause below. */
class BincodeIoError extends ContextError {
  constructor(cause: Error) {
    super(`io error: ${cause.message}`, cause);
  }
}

/** A cursor over the data file that behaves like upstream's reader stack (file end, 1 MiB limit). */
class BincodeReader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}

  bytes(n: number): Buffer {
    const end = this.pos + n;
    if (end > MINISO_DATA_MAX_SIZE && this.buf.length > MINISO_DATA_MAX_SIZE) {
      throw new BincodeIoError(new Error(`collision with data size limit at offset ${MINISO_DATA_MAX_SIZE}`));
    }
    if (end > this.buf.length) throw new BincodeIoError(new Error('failed to fill whole buffer'));
    const out = this.buf.subarray(this.pos, end);
    this.pos = end;
    return out;
  }

  u8(): number {
    return this.bytes(1)[0] ?? 0;
  }

  /** A varint as a safe integer; `max` is the type's largest value. */
  varint(max: number, type: string): number {
    const tag = this.u8();
    let value: bigint;
    if (tag < U16_TAG) value = BigInt(tag);
    else if (tag === U16_TAG) value = BigInt(this.bytes(2).readUInt16LE(0));
    else if (tag === U32_TAG) value = BigInt(this.bytes(4).readUInt32LE(0));
    else if (tag === U64_TAG) value = this.bytes(8).readBigUInt64LE(0);
    else if (tag === U128_TAG) throw new Error('invalid value: u128 varint, expected a value that fits in u64');
    else throw new Error(`invalid varint tag ${tag}`);
    if (value > BigInt(max)) throw new Error(`invalid value: integer \`${value}\`, expected ${type}`);
    return Number(value);
  }

  u32(): number {
    return this.varint(0xffff_ffff, 'u32');
  }

  /** A length prefix (u64); anything beyond the address space cannot be in the file anyway. */
  length(): number {
    return this.varint(Number.MAX_SAFE_INTEGER, 'a length that fits in memory');
  }

  byteVec(): Buffer {
    return this.bytes(this.length());
  }

  string(): string {
    const raw = this.byteVec();
    try {
      return decodeUtf8(raw);
    } catch (err) {
      throw new ContextError('string is not valid utf8', err);
    }
  }
}

/** Parse the data file (trailing bytes, such as the file's zero padding, are ignored). */
export function parseMiniso(buf: Buffer): MinisoData {
  const r = new BincodeReader(buf);
  const magic = Buffer.from(r.bytes(MINISO_MAGIC.length));
  const version = r.u32();
  const appVersion = r.string();
  withContextSync('validating header', () => {
    if (!magic.equals(MINISO_MAGIC)) throw new Error('not a miniso file!');
    if (version !== MINISO_VERSION) {
      throw new Error(`incompatible miniso file version: ${MINISO_VERSION} vs ${version} (created by ${appVersion})`);
    }
  });
  const count = r.length();
  const entries: MinisoEntry[] = [];
  for (let i = 0; i < count; i++) entries.push({ minimal: r.u32(), full: r.u32(), length: r.u32() });
  const digest = Buffer.from(r.bytes(32));
  const xzpacked = Buffer.from(r.byteVec());
  withContextSync('validating table', () => validateTable(entries));
  return { appVersion, entries, digest, xzpacked };
}

/** Non-empty, in minimal-address order, no two entries overlapping in the minimal ISO. */
export function validateTable(entries: readonly MinisoEntry[]): void {
  if (entries.length === 0) throw new Error('table is empty; ISOs have no files in common?');
  for (let i = 1; i < entries.length; i++) {
    const prev = entries[i - 1] as MinisoEntry;
    const next = entries[i] as MinisoEntry;
    if (prev.minimal * MINISO_BLOCK_SIZE + prev.length > next.minimal * MINISO_BLOCK_SIZE) {
      throw new Error(`Files at offsets ${prev.minimal * MINISO_BLOCK_SIZE} and ${next.minimal * MINISO_BLOCK_SIZE} overlap`);
    }
  }
}

function varint(value: number): Buffer {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`cannot encode ${value} as a varint`);
  if (value < U16_TAG) return Buffer.from([value]);
  if (value <= 0xffff) {
    const b = Buffer.alloc(3);
    b[0] = U16_TAG;
    b.writeUInt16LE(value, 1);
    return b;
  }
  if (value <= 0xffff_ffff) {
    const b = Buffer.alloc(5);
    b[0] = U32_TAG;
    b.writeUInt32LE(value, 1);
    return b;
  }
  const b = Buffer.alloc(9);
  b[0] = U64_TAG;
  b.writeBigUInt64LE(BigInt(value), 1);
  return b;
}

/** Serialize header and data as upstream's packer writes them. */
export function serializeMiniso(data: MinisoData): Buffer {
  const appVersion = Buffer.from(data.appVersion, 'utf8');
  const parts: Buffer[] = [MINISO_MAGIC, varint(MINISO_VERSION), varint(appVersion.length), appVersion];
  parts.push(varint(data.entries.length));
  for (const e of data.entries) parts.push(varint(e.minimal), varint(e.full), varint(e.length));
  if (data.digest.length !== 32) throw new Error(`digest must be 32 bytes, not ${data.digest.length}`);
  parts.push(data.digest, varint(data.xzpacked.length), data.xzpacked);
  return Buffer.concat(parts);
}
