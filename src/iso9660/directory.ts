// PURE: ISO 9660 directory records and the string rules for descriptor ids
// and file identifiers (SPEC 4.1.2, 4.1.3), plus the Rock Ridge alternate name
// (RRIP `NM` entries in the System Use area, IEEE P1282) that carries the long
// name of a record on a level-1 image (`EFI/OPENEULE` is `EFI/openEuler`).

/** Logical block size; fixed for the ISOs we read. */
export const ISO_BLOCK_SIZE = 2048;

/** Where the rest of a record's System Use entries are (a SUSP `CE` entry). */
export interface SuspContinuation {
  /** Absolute byte offset in the image. */
  offset: number;
  length: number;
  /** The NM name read so far continues in that area. */
  nameContinues?: boolean;
}

interface RockRidgeFields {
  /** Rock Ridge alternate name (`NM`), when the record has one. */
  rrName?: string;
  /** Unread System Use entries (the name may continue there); resolved by the reader. */
  susp?: SuspContinuation;
}

export interface IsoFile extends RockRidgeFields {
  kind: 'file';
  /** Primary (ISO 9660) name, as upstream reads it. */
  name: string;
  /** Block address of the data. */
  address: number;
  /** Length in bytes. */
  length: number;
}

export interface IsoDirectory extends RockRidgeFields {
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
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f || b === 0x20;
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
  const record: IsoRecord = { kind, name, address, length };
  // System Use area: after the name and its padding byte (even name lengths).
  const suspStart = pos + 33 + nameLen + (nameLen % 2 === 0 ? 1 : 0);
  if (!isRoot && suspStart + 4 <= pos + len) {
    const rr = parseSusp(buf.subarray(suspStart, pos + len), { name: undefined });
    applyRockRidge(record, rr);
  }
  return record;
}

/** Rock Ridge state gathered from System Use entries, possibly over several areas. */
export interface RockRidgeState {
  /** The NM name so far (undefined: no NM entry seen). */
  name: string[] | undefined;
  /** The last NM entry had CONTINUE set. */
  continues?: boolean;
  /** A CE entry: more entries to read. */
  next?: SuspContinuation;
}

const NM_CONTINUE = 0x01;
const NM_CURRENT = 0x02;
const NM_PARENT = 0x04;

/**
 * PURE: walk SUSP entries (2-byte signature, length, version, data) and collect
 * the `NM` name parts and a `CE` continuation. `ST` ends the area; a damaged
 * entry ends it too (the primary name still stands).
 */
export function parseSusp(area: Uint8Array, state: RockRidgeState): RockRidgeState {
  const out: RockRidgeState = { name: state.name === undefined ? undefined : [...state.name] };
  if (state.continues !== undefined) out.continues = state.continues;
  const view = Buffer.from(area.buffer, area.byteOffset, area.byteLength);
  let pos = 0;
  while (pos + 4 <= view.length) {
    const sig = view.toString('latin1', pos, pos + 2);
    const len = view[pos + 2] ?? 0;
    if (len < 4 || pos + len > view.length) break;
    if (sig === 'ST') break;
    if (sig === 'NM' && len >= 5) {
      const flags = view[pos + 4] ?? 0;
      if ((flags & (NM_CURRENT | NM_PARENT)) === 0) {
        const part = view.subarray(pos + 5, pos + len).toString('utf8');
        // A new name unless the previous NM said it continues.
        out.name = out.name !== undefined && out.continues === true ? [...out.name, part] : [part];
        out.continues = (flags & NM_CONTINUE) !== 0;
      }
    } else if (sig === 'CE' && len >= 28) {
      out.next = {
        offset: view.readUInt32LE(pos + 4) * ISO_BLOCK_SIZE + view.readUInt32LE(pos + 12),
        length: view.readUInt32LE(pos + 20),
      };
    }
    pos += len;
  }
  return out;
}

/** Record the NM name (and any continuation still to read) on a record. */
export function applyRockRidge(record: IsoRecord, rr: RockRidgeState): void {
  if (rr.name !== undefined) record.rrName = rr.name.join('');
  if (rr.next !== undefined) record.susp = { ...rr.next, nameContinues: rr.continues === true };
  else delete record.susp;
}

/**
 * PURE: does `record` answer to the long-name path component `c`? Its Rock
 * Ridge name (exactly), or its primary name for the upper-cased component, as
 * upstream looks names up.
 */
export function recordMatches(record: IsoRecord, c: string): boolean {
  return record.rrName === c || record.name === c.toUpperCase();
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
