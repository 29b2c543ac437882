// PURE: ISO 9660 directory records and the string rules for descriptor ids
// and file identifiers (SPEC 4.1.2, 4.1.3).

/** Logical block size; fixed for the ISOs we read. */
export const ISO_BLOCK_SIZE = 2048;

export interface IsoFile {
  kind: 'file';
  name: string;
  /** Block address of the data. */
  address: number;
  /** Length in bytes. */
  length: number;
}

export interface IsoDirectory {
  kind: 'directory';
  name: string;
  address: number;
  length: number;
}

export type IsoRecord = IsoFile | IsoDirectory;

/** Byte offset of a record's data in the image. */
export function recordOffset(record: IsoRecord): number {
  return record.address * ISO_BLOCK_SIZE;
}

const PUNCTUATION = new Set('!"%&\'()*+,-.:<=>?'.split('').map((c) => c.charCodeAt(0)));
const SEMICOLON = 0x3b;
const SLASH = 0x2f;

function isAlnumOrSpace(b: number): boolean {
  return (
    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f || b === 0x20
  );
}

function invalidName(bytes: Uint8Array): Error {
  return new Error(`invalid string name [${[...bytes].join(', ')}]`);
}

/** An a-string (descriptor identifiers): trailing spaces removed. */
export function parseAString(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    if (b === 0) break;
    if (isAlnumOrSpace(b) || PUNCTUATION.has(b) || b === SEMICOLON || b === SLASH) out += String.fromCharCode(b);
    else throw invalidName(bytes);
  }
  return out.replace(/ +$/, '');
}

/** A file identifier: `;1` and then a trailing `.` stripped; `;` and `/` become `.`. */
export function parseFileIdentifier(raw: Uint8Array): string {
  let bytes = raw;
  if (bytes.length >= 2 && bytes[bytes.length - 2] === SEMICOLON && bytes[bytes.length - 1] === 0x31) {
    bytes = bytes.subarray(0, bytes.length - 2);
  }
  if (bytes.length >= 1 && bytes[bytes.length - 1] === 0x2e) bytes = bytes.subarray(0, bytes.length - 1);
  let out = '';
  for (const b of bytes) {
    if (b === 0) break;
    if (b === SEMICOLON || b === SLASH) out += '.';
    else if (isAlnumOrSpace(b) || PUNCTUATION.has(b)) out += String.fromCharCode(b);
    else throw invalidName(raw);
  }
  return out;
}

/** One record at the start of `buf` (which holds at least its length byte). */
function parseRecordAt(buf: Buffer, pos: number, isRoot: boolean): IsoRecord | undefined {
  const len = buf[pos] ?? 0;
  if (len < 33 || pos + len > buf.length) throw new Error('incomplete directory record; corrupt ISO?');
  const address = buf.readUInt32LE(pos + 2);
  const length = buf.readUInt32LE(pos + 10);
  const flags = buf[pos + 25] ?? 0;
  const nameLen = buf[pos + 32] ?? 0;
  if (33 + nameLen > len) throw new Error('incomplete string name; corrupt ISO?');
  const nameBytes = buf.subarray(pos + 33, pos + 33 + nameLen);
  let name: string;
  if (nameLen === 1 && (nameBytes[0] === 0 || nameBytes[0] === 1)) {
    if (!(isRoot && nameBytes[0] === 0)) return undefined;
    name = '.';
  } else {
    name = parseFileIdentifier(nameBytes);
  }
  const kind = (flags & 0x02) !== 0 ? 'directory' : 'file';
  return { kind, name, address, length };
}

/** The root directory record of a primary descriptor (bytes 156..190). */
export function parseRootRecord(buf: Buffer): IsoDirectory {
  const record = parseRecordAt(buf, 0, true);
  if (record === undefined || record.kind !== 'directory') {
    throw new Error('failed to parse root directory record from primary descriptor');
  }
  return record;
}

/** Every non-dot record of a directory's contents, in on-disk order (SPEC 4.1.2). */
export function parseDirectory(data: Buffer): IsoRecord[] {
  const records: IsoRecord[] = [];
  let pos = 0;
  while (pos < data.length) {
    const len = data[pos] ?? 0;
    if (len === 0) {
      const p = pos + 1;
      const q = (p + ISO_BLOCK_SIZE) & ~(ISO_BLOCK_SIZE - 1);
      if (q >= data.length) break;
      pos = q;
      continue;
    }
    if (len > data.length - pos) throw new Error('incomplete directory record; corrupt ISO?');
    const record = parseRecordAt(data, pos, false);
    if (record !== undefined) records.push(record);
    pos += len;
  }
  return records;
}
