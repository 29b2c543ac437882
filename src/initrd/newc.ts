// cpio "newc" archives over Buffers (SPEC 4.5.1 writing, 4.5.2 reading).
// Hand-written: cpio-stream reads only the first archive, keeps NUL padding
// in names and miscounts non-ASCII names (shared/research/DEPENDENCIES.md §5).

import { CliError, ShortReadError, withContextSync } from '../util/errors.js';

const HEADER_SIZE = 110;
const TRAILER = 'TRAILER!!!';
const MODE_DIR = 0o040755;
const MODE_FILE = 0o100600;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

function hex8(v: number): string {
  return v.toString(16).padStart(8, '0');
}

function entry(ino: number, mode: number, name: string, data: Buffer): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  const namesize = nameBytes.length + 1;
  const fields = [ino, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, namesize, 0];
  const header = Buffer.from('070701' + fields.map(hex8).join(''), 'ascii');
  return Buffer.concat([header, nameBytes, Buffer.alloc(1 + pad4(HEADER_SIZE + namesize)), data, Buffer.alloc(pad4(data.length))]);
}

/**
 * Serialize files (path → bytes, relative paths) the way upstream does: byte-wise
 * sorted, parent directories emitted once as the virtual cwd changes, ino =
 * sequence number, mtime 0, then the trailer (ino 0, no 512-byte padding).
 * `sortedPaths` must already be in UTF-8 byte order.
 */
export function writeNewc(sortedPaths: string[], get: (path: string) => Buffer): Buffer {
  const parts: Buffer[] = [];
  let ino = 0;
  let cwd: string[] = [];
  for (const path of sortedPaths) {
    const components = path.split('/');
    const parent = components.slice(0, -1);
    let common = 0;
    while (common < cwd.length && common < parent.length && cwd[common] === parent[common]) common++;
    cwd = cwd.slice(0, common);
    for (const component of parent.slice(common)) {
      cwd.push(component);
      parts.push(entry(ino++, MODE_DIR, cwd.join('/'), Buffer.alloc(0)));
    }
    parts.push(entry(ino++, MODE_FILE, path, get(path)));
  }
  parts.push(entry(0, 0, TRAILER, Buffer.alloc(0)));
  return Buffer.concat(parts);
}

export interface NewcEntry {
  name: string;
  mode: number;
  data: Buffer;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function take(buf: Buffer, pos: number, length: number): Buffer {
  if (pos + length > buf.length) throw new ShortReadError();
  return buf.subarray(pos, pos + length);
}

/** Decode a 110-byte newc header (magic and the three fields the reader uses). */
export function parseNewcHeader(header: Buffer): { mode: number; filesize: number; namesize: number } {
  const magic = header.toString('latin1', 0, 6);
  if (magic !== '070701' && magic !== '070702') throw new CliError('Invalid magic number');
  const field = (i: number): number => {
    const text = header.toString('latin1', 6 + i * 8, 14 + i * 8);
    if (!/^[0-9a-fA-F]{8}$/.test(text)) throw new CliError('Invalid hex u32 header field');
    return parseInt(text, 16);
  };
  return { mode: field(1), filesize: field(6), namesize: field(11) };
}

/** Decode a name field (`namesize` bytes): NUL-terminated, all trailing NULs stripped, UTF-8. */
export function parseNewcName(raw: Buffer): string {
  if (raw.length === 0 || raw[raw.length - 1] !== 0) throw new CliError('Entry name was not NUL-terminated');
  let end = raw.length;
  while (end > 0 && raw[end - 1] === 0) end--;
  try {
    return utf8.decode(raw.subarray(0, end));
  } catch {
    throw new CliError('Entry name was not valid UTF-8');
  }
}

function readHeader(buf: Buffer, pos: number): { mode: number; filesize: number; namesize: number } {
  take(buf, pos, 6);
  const magic = buf.toString('latin1', pos, pos + 6);
  if (magic !== '070701' && magic !== '070702') throw new CliError('Invalid magic number');
  return parseNewcHeader(take(buf, pos, HEADER_SIZE));
}

function readName(buf: Buffer, pos: number, namesize: number): string {
  return parseNewcName(take(buf, pos, namesize));
}

/**
 * Read one archive from `buf` at `pos` up to and including its trailer. Calls
 * `onFile` for each regular file whose name `keep` accepts. Returns the offset
 * after the trailer entry.
 */
export function readNewcArchive(buf: Buffer, pos: number, keep: (name: string) => boolean, onFile: (entry: NewcEntry) => void): number {
  for (;;) {
    const { name, mode, filesize, dataPos } = withContextSync('reading CPIO entry', () => {
      const h = readHeader(buf, pos);
      const n = readName(buf, pos + HEADER_SIZE, h.namesize);
      return { ...h, name: n, dataPos: pos + HEADER_SIZE + h.namesize + pad4(HEADER_SIZE + h.namesize) };
    });
    const next = dataPos + filesize + pad4(filesize);
    if (name === TRAILER) {
      withContextSync('finishing reading CPIO trailer', () => take(buf, dataPos, next - dataPos));
      return next;
    }
    if ((mode & S_IFMT) === S_IFREG && keep(name)) {
      const data = withContextSync('reading CPIO entry contents', () => take(buf, dataPos, filesize));
      onFile({ name, mode, data: Buffer.from(data) });
    }
    withContextSync('finishing reading CPIO entry', () => take(buf, dataPos, next - dataPos));
    pos = next;
  }
}
