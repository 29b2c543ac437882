// Reading an osmet file's header and table from disk without reading the
// packed image: decode what has been read so far, and read more while the
// decoder runs out of bytes (the table of a real image is a few MiB at most).

import { open, type FileHandle } from 'node:fs/promises';
import { readFullyAt } from '../io/file-io.js';
import { context } from '../util/errors.js';
import { Decoder, TruncatedError, decodeHeader, decodeTable, validateTable, type OsmetHeader, type OsmetTable } from './format.js';

const FIRST_READ = 64 * 1024;

export interface OsmetContents {
  header: OsmetHeader;
  table: OsmetTable;
  /** File offset of the packed xz stream. */
  packedOffset: number;
  /** Total file size. */
  fileSize: number;
}

async function readPrefix(handle: FileHandle, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  return buf.subarray(0, await readFullyAt(handle, buf, 0));
}

/** Decode with `fn` over a growing prefix of the file until it has enough bytes. */
async function decodeGrowing<T>(handle: FileHandle, fileSize: number, fn: (d: Decoder) => T): Promise<T> {
  let want = Math.min(FIRST_READ, fileSize);
  for (;;) {
    const prefix = await readPrefix(handle, want);
    try {
      return fn(new Decoder(prefix));
    } catch (err) {
      if (!(err instanceof TruncatedError) || prefix.length >= fileSize) throw err;
      want = Math.min(want * 4, fileSize);
    }
  }
}

export async function readOsmetHeader(path: string): Promise<OsmetHeader> {
  const handle = await open(path, 'r').catch(context(`opening ${path}`));
  try {
    const { size } = await handle.stat();
    return await decodeGrowing(handle, size, (d) => decodeHeader(d));
  } finally {
    await handle.close();
  }
}

export async function readOsmetContents(path: string): Promise<OsmetContents> {
  const handle = await open(path, 'r').catch(context(`opening ${path}`));
  try {
    const { size } = await handle.stat();
    const contents = await decodeGrowing(handle, size, (d) => {
      const header = decodeHeader(d);
      const table = decodeTable(d);
      return { header, table, packedOffset: d.offset, fileSize: size };
    });
    validateTable(contents.table);
    return contents;
  } finally {
    await handle.close();
  }
}
