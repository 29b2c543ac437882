// GUID Partition Tables as install reads and writes them (SPEC 3.5.1).
// Pure: parsing and serializing work on Buffers; reading goes through a
// small `SectorReader` so the same code serves a device, a file and the
// in-memory first MiB of an image. CRC32 is zlib's (node:zlib crc32).

import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { CliError } from '../util/errors.js';

export const GPT_SIGNATURE = Buffer.from('EFI PART');
const REVISION = Buffer.from([0, 0, 1, 0]);
const HEADER_SIZE = 92;
export const ENTRY_COUNT = 128;
export const ENTRY_SIZE = 128;
/** Largest entry size accepted (a corrupt field could ask for gigabytes). */
const MAX_ENTRY_SIZE = 4096;

export interface GptHeader {
  currentLba: number;
  backupLba: number;
  firstUsableLba: number;
  lastUsableLba: number;
  diskGuid: Buffer;
  entryLba: number;
  entryCount: number;
  entrySize: number;
}

export interface GptEntry {
  /** 1-based slot number. */
  index: number;
  typeGuid: Buffer;
  uniqueGuid: Buffer;
  firstLba: number;
  /** Inclusive. */
  lastLba: number;
  /** The whole entry as stored (saved entries are written back unchanged). */
  raw: Buffer;
  name: string;
}

export interface Gpt {
  sectorSize: number;
  header: GptHeader;
  /** Used entries only, ascending index. */
  entries: GptEntry[];
}

/** Random reads of a device, file or buffer. */
export interface SectorReader {
  length: number;
  read(offset: number, length: number): Promise<Buffer>;
}

export class GptError extends CliError {
  override name = 'GptError';
  constructor(
    message: string,
    readonly kind: 'signature' | 'other' = 'other',
  ) {
    super(message);
  }
}

export function bufferReader(buf: Buffer): SectorReader {
  return {
    length: buf.length,
    read: async (offset, length) => {
      const out = Buffer.alloc(length);
      if (offset < buf.length) buf.copy(out, 0, offset, Math.min(buf.length, offset + length));
      return out;
    },
  };
}

function u64(buf: Buffer, offset: number): number {
  return Number(buf.readBigUInt64LE(offset));
}

function hex(n: number): string {
  return n.toString(16);
}

/** Parse a header sector (at least 92 bytes); throws GptError with gptman's texts. */
export function parseHeader(sector: Buffer): GptHeader {
  if (!sector.subarray(0, 8).equals(GPT_SIGNATURE)) throw new GptError('invalid signature', 'signature');
  if (!sector.subarray(8, 12).equals(REVISION)) throw new GptError('invalid revision');
  if (sector.readUInt32LE(12) !== HEADER_SIZE) throw new GptError('invalid header size');
  const stored = sector.readUInt32LE(16);
  const copy = Buffer.from(sector.subarray(0, HEADER_SIZE));
  copy.writeUInt32LE(0, 16);
  const computed = crc32(copy);
  if (computed !== stored) throw new GptError(`corrupted CRC32 checksum (${hex(stored)} != ${hex(computed)})`);
  return {
    currentLba: u64(sector, 24),
    backupLba: u64(sector, 32),
    firstUsableLba: u64(sector, 40),
    lastUsableLba: u64(sector, 48),
    diskGuid: Buffer.from(sector.subarray(56, 72)),
    entryLba: u64(sector, 72),
    entryCount: sector.readUInt32LE(80),
    entrySize: sector.readUInt32LE(84),
  };
}

function parseName(raw: Buffer): string {
  const units = raw.subarray(56, 128);
  let end = 0;
  while (end + 1 < units.length && (units[end] !== 0 || units[end + 1] !== 0)) end += 2;
  return units.subarray(0, end).toString('utf16le');
}

/** Parse an entry array; checks its CRC when the header's stored value is given. */
export function parseEntries(header: GptHeader, array: Buffer, expectedCrc?: number): GptEntry[] {
  const computed = crc32(array);
  if (expectedCrc !== undefined && expectedCrc !== computed) {
    throw new GptError(`corrupted partition entry array CRC32 checksum (${hex(expectedCrc)} != ${hex(computed)})`);
  }
  const entries: GptEntry[] = [];
  for (let i = 0; i < header.entryCount; i++) {
    const raw = Buffer.from(array.subarray(i * header.entrySize, (i + 1) * header.entrySize));
    if (raw.subarray(0, 16).every((b) => b === 0)) continue;
    entries.push({
      index: i + 1,
      typeGuid: raw.subarray(0, 16),
      uniqueGuid: raw.subarray(16, 32),
      firstLba: u64(raw, 32),
      lastLba: u64(raw, 40),
      raw,
      name: parseName(raw),
    });
  }
  return entries;
}

async function readHeaderAt(reader: SectorReader, offset: number, sectorSize: number): Promise<GptHeader & { entryCrc: number }> {
  const sector = await reader.read(offset, sectorSize);
  const header = parseHeader(sector);
  return { ...header, entryCrc: sector.readUInt32LE(88) };
}

async function readWithSectorSize(reader: SectorReader, sectorSize: number): Promise<Gpt> {
  let header: GptHeader & { entryCrc: number };
  try {
    header = await readHeaderAt(reader, sectorSize, sectorSize);
  } catch (primary) {
    const lastSector = (Math.floor(reader.length / sectorSize) - 1) * sectorSize;
    try {
      if (lastSector < sectorSize) throw new GptError('invalid signature', 'signature');
      header = await readHeaderAt(reader, lastSector, sectorSize);
    } catch (backup) {
      const kind = (e: unknown): string | undefined => (e instanceof GptError ? e.kind : undefined);
      if (kind(primary) === 'signature' && kind(backup) === 'signature') throw backup;
      const text = (e: unknown): string => (e instanceof Error ? e.message : String(e));
      throw new GptError(`could not read primary header (${text(primary)}) nor backup header (${text(backup)})`);
    }
  }
  // UEFI: entries are 128 * 2^n bytes; bounding size and count bounds the array read.
  const { entrySize, entryCount } = header;
  if (entrySize < ENTRY_SIZE || entrySize > MAX_ENTRY_SIZE || (entrySize & (entrySize - 1)) !== 0) {
    throw new GptError('invalid partition entry size');
  }
  if (entryCount > 4096) throw new GptError('invalid partition entry count');
  const arrayOffset = header.entryLba * sectorSize;
  if (!Number.isSafeInteger(arrayOffset) || arrayOffset + entryCount * entrySize > reader.length) {
    throw new GptError('partition entry array lies beyond the end of the disk');
  }
  const array = await reader.read(arrayOffset, entryCount * entrySize);
  const entries = parseEntries(header, array, header.entryCrc);
  const { entryCrc: _crc, ...plain } = header;
  return { sectorSize, header: plain, entries };
}

/**
 * Read a GPT trying 512- then 4096-byte sectors (or only `sectorSize`).
 * Returns undefined when neither has a GPT signature; throws GptError otherwise.
 */
export async function readGpt(reader: SectorReader, sectorSize?: number): Promise<Gpt | undefined> {
  for (const size of sectorSize !== undefined ? [sectorSize] : [512, 4096]) {
    try {
      return await readWithSectorSize(reader, size);
    } catch (err) {
      if (err instanceof GptError && err.kind === 'signature') continue;
      throw err;
    }
  }
  return undefined;
}

/** Entry-array length in sectors: ceil(128 × 128 / S). */
export function arraySectors(sectorSize: number, header?: GptHeader): number {
  const bytes = (header?.entryCount ?? ENTRY_COUNT) * (header?.entrySize ?? ENTRY_SIZE);
  return Math.ceil(bytes / sectorSize);
}

/** Header fields of a table laid out for a device of `deviceLength` bytes (SPEC 3.5.1). */
export function layoutHeader(sectorSize: number, deviceLength: number, diskGuid: Buffer): GptHeader {
  const n = Math.floor(deviceLength / sectorSize);
  const a = arraySectors(sectorSize);
  return {
    currentLba: 1,
    backupLba: n - 1,
    firstUsableLba: 2 + a,
    lastUsableLba: n - a - 2,
    diskGuid,
    entryLba: 2,
    entryCount: ENTRY_COUNT,
    entrySize: ENTRY_SIZE,
  };
}

/** A new empty table with a random disk GUID (v4 layout). */
export function newGpt(sectorSize: number, deviceLength: number): Gpt {
  const guid = randomBytes(16);
  guid[7] = ((guid[7] ?? 0) & 0x0f) | 0x40;
  guid[8] = ((guid[8] ?? 0) & 0x3f) | 0x80;
  return { sectorSize, header: layoutHeader(sectorSize, deviceLength, guid), entries: [] };
}

/** The same table resized to a device (SPEC 3.5.4 step 3). */
export function resizeGpt(gpt: Gpt, deviceLength: number): Gpt {
  return { ...gpt, header: layoutHeader(gpt.sectorSize, deviceLength, gpt.header.diskGuid) };
}

/** Write-time checks (SPEC 3.5.1 "Writing"). */
export function validateGpt(gpt: Gpt): void {
  const guids = new Set<string>();
  for (const e of gpt.entries) {
    const g = e.uniqueGuid.toString('hex');
    if (guids.has(g)) throw new GptError('conflict of partition GUIDs');
    guids.add(g);
  }
  const bad = new GptError(
    'invalid partition boundaries: partitions must have positive size, must not overlap, and must fit within the disk',
  );
  const sorted = [...gpt.entries].sort((x, y) => x.firstLba - y.firstLba);
  let prevEnd = -1;
  for (const e of sorted) {
    if (e.firstLba > e.lastLba) throw bad;
    if (e.firstLba < gpt.header.firstUsableLba || e.lastLba > gpt.header.lastUsableLba) throw bad;
    if (e.firstLba <= prevEnd) throw bad;
    prevEnd = e.lastLba;
  }
  const indexes = new Set<number>();
  for (const e of gpt.entries) {
    if (e.index < 1 || e.index > gpt.header.entryCount || indexes.has(e.index)) throw new GptError('invalid partition index');
    indexes.add(e.index);
  }
}

function serializeArray(gpt: Gpt): Buffer {
  const { entryCount, entrySize } = gpt.header;
  const array = Buffer.alloc(entryCount * entrySize);
  for (const e of gpt.entries) e.raw.copy(array, (e.index - 1) * entrySize, 0, entrySize);
  return array;
}

function serializeHeader(h: GptHeader, current: number, other: number, entryLba: number, arrayCrc: number): Buffer {
  const buf = Buffer.alloc(HEADER_SIZE);
  GPT_SIGNATURE.copy(buf, 0);
  REVISION.copy(buf, 8);
  buf.writeUInt32LE(HEADER_SIZE, 12);
  buf.writeBigUInt64LE(BigInt(current), 24);
  buf.writeBigUInt64LE(BigInt(other), 32);
  buf.writeBigUInt64LE(BigInt(h.firstUsableLba), 40);
  buf.writeBigUInt64LE(BigInt(h.lastUsableLba), 48);
  h.diskGuid.copy(buf, 56);
  buf.writeBigUInt64LE(BigInt(entryLba), 72);
  buf.writeUInt32LE(h.entryCount, 80);
  buf.writeUInt32LE(h.entrySize, 84);
  buf.writeUInt32LE(arrayCrc, 88);
  buf.writeUInt32LE(crc32(buf), 16);
  return buf;
}

export interface Write {
  offset: number;
  data: Buffer;
}

/** The four writes of a table: primary header and array, backup array and header. Validates first. */
export function serializeGpt(gpt: Gpt): Write[] {
  validateGpt(gpt);
  const s = gpt.sectorSize;
  const h = gpt.header;
  const array = serializeArray(gpt);
  const arrayCrc = crc32(array);
  const backupArrayLba = h.backupLba - arraySectors(s, h);
  // A damaged header can put the backup where its array would start before the disk does.
  if (backupArrayLba < 2) throw new GptError(`invalid backup header location (LBA ${h.backupLba})`);
  return [
    { offset: s, data: serializeHeader(h, 1, h.backupLba, h.entryLba, arrayCrc) },
    { offset: h.entryLba * s, data: array },
    { offset: backupArrayLba * s, data: array },
    { offset: h.backupLba * s, data: serializeHeader(h, h.backupLba, 1, backupArrayLba, arrayCrc) },
  ];
}

/** Bytes 446..512 of sector 0: the protective MBR entry and 55 AA (SPEC 3.5.1). */
export function protectiveMbr(sectorSize: number, deviceLength: number): Buffer {
  const buf = Buffer.alloc(66);
  const n = Math.floor(deviceLength / sectorSize);
  buf.set([0x00, 0x00, 0x02, 0x00, 0xee, 0xff, 0xff, 0xff], 0);
  buf.writeUInt32LE(1, 8);
  buf.writeUInt32LE(Math.min(n - 1, 0xffffffff), 12);
  buf[64] = 0x55;
  buf[65] = 0xaa;
  return buf;
}

/** Build an entry (tests, and callers creating partitions). */
export function makeEntry(
  index: number,
  opts: { typeGuid: Buffer; uniqueGuid: Buffer; firstLba: number; lastLba: number; name: string; attributes?: bigint },
): GptEntry {
  const raw = Buffer.alloc(ENTRY_SIZE);
  opts.typeGuid.copy(raw, 0);
  opts.uniqueGuid.copy(raw, 16);
  raw.writeBigUInt64LE(BigInt(opts.firstLba), 32);
  raw.writeBigUInt64LE(BigInt(opts.lastLba), 40);
  raw.writeBigUInt64LE(opts.attributes ?? 0n, 48);
  Buffer.from(opts.name, 'utf16le').subarray(0, 72).copy(raw, 56);
  return {
    index,
    typeGuid: raw.subarray(0, 16),
    uniqueGuid: raw.subarray(16, 32),
    firstLba: opts.firstLba,
    lastLba: opts.lastLba,
    raw,
    name: opts.name,
  };
}
