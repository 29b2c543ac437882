// Packing a minimal ISO into a full live ISO (SPEC 4.14, build time): every
// file of the minimal ISO is matched with the same path in the full ISO, those
// byte ranges become the table, and the remaining bytes of the minimal ISO are
// xz-compressed (preset 9, CRC64) into the data file. The minimal ISO is read
// once, streamed; only the compressed stream (bounded by the 1 MiB data file)
// is held in memory.

import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BUFFER_SIZE } from '../util/constants.js';
import { withContext, withContextSync } from '../util/errors.js';
import { recordOffset, type IsoFile } from '../iso9660/directory.js';
import type { IsoFs } from '../iso9660/iso-fs.js';
import { MINISO_BLOCK_SIZE, validateTable, type MinisoData, type MinisoEntry } from './miniso.js';
import { unpackMiniso } from './miniso-unpack.js';

/** Regular files by walk path. */
async function filesOf(iso: IsoFs, name: string): Promise<Map<string, IsoFile>> {
  const files = new Map<string, IsoFile>();
  for await (const { path, record } of iso.walk()) {
    if (record.kind === 'file') files.set(path, record);
  }
  if (files.size === 0) throw new Error(`No files found in ${name}`);
  return files;
}

/** PURE: sort by minimal address, drop empty entries and consecutive duplicates (hard links), validate. */
export function buildTable(entries: readonly MinisoEntry[]): MinisoEntry[] {
  const sorted = [...entries].sort((a, b) => a.minimal - b.minimal).filter((e) => e.length > 0);
  const table: MinisoEntry[] = [];
  for (const e of sorted) {
    const last = table[table.length - 1];
    if (last !== undefined && last.minimal === e.minimal && last.full === e.full && last.length === e.length) continue;
    table.push(e);
  }
  withContextSync('validating table', () => validateTable(table));
  return table;
}

/** Read `[from, to)` of the minimal ISO in 256 KiB blocks (hashing is done by the caller). */
async function* readRange(iso: IsoFs, from: number, to: number): AsyncGenerator<Buffer> {
  for (let pos = from; pos < to; ) {
    const n = Math.min(BUFFER_SIZE, to - pos);
    const buf = await iso.readAt(pos, n);
    yield buf;
    pos += n;
  }
}

export interface PackResult {
  data: MinisoData;
  matched: number;
  total: number;
  skipped: number;
  written: number;
}

/**
 * Build the data for `minimal` against `full`. `log` receives upstream's
 * status lines; `appVersion` is recorded in the header.
 */
export async function packMiniso(
  full: IsoFs,
  fullName: string,
  minimal: IsoFs,
  minimalName: string,
  appVersion: string,
  log: (line: string) => void,
): Promise<PackResult> {
  const fullFiles = await filesOf(full, fullName);
  const minimalFiles = await filesOf(minimal, minimalName);
  log('Packing minimal ISO');
  const entries: MinisoEntry[] = [];
  for (const [path, m] of minimalFiles) {
    const f = fullFiles.get(path);
    if (f === undefined) throw new Error(`missing minimal file ${path} in full ISO`);
    if (f.length !== m.length) throw new Error(`File ${path} has different lengths in full and minimal ISOs`);
    entries.push({ minimal: m.address, full: f.address, length: m.length });
  }
  const table = buildTable(entries);

  const { size } = await minimal.handle.stat();
  const hash = createHash('sha256');
  let written = 0;
  async function* packedInput(): AsyncGenerator<Buffer> {
    let cursor = 0;
    for (const e of table) {
      const start = e.minimal * MINISO_BLOCK_SIZE;
      for await (const buf of readRange(minimal, cursor, start)) {
        hash.update(buf);
        written += buf.length;
        yield buf;
      }
      for await (const buf of readRange(minimal, start, start + e.length)) hash.update(buf);
      cursor = start + e.length;
    }
    for await (const buf of readRange(minimal, cursor, size)) {
      hash.update(buf);
      written += buf.length;
      yield buf;
    }
  }
  const { createXz, check } = await import('node-liblzma');
  const compressed: Buffer[] = [];
  const collect = new Writable({
    write(chunk: Buffer, _enc, done) {
      compressed.push(chunk);
      done();
    },
  });
  await withContext('compressing minimal ISO', () =>
    pipeline(Readable.from(packedInput()), createXz({ preset: 9, check: check.CRC64, threads: 1 }), collect),
  );
  const xzpacked = Buffer.concat(compressed);
  const skipped = table.reduce((sum, e) => sum + e.length, 0);
  log(`Matched ${table.length} files of ${minimalFiles.size}`);
  log(`Total bytes skipped: ${skipped}`);
  log(`Total bytes written: ${written}`);
  log(`Total bytes written (compressed): ${xzpacked.length}`);

  const data: MinisoData = { appVersion, entries: table, digest: hash.digest(), xzpacked };
  log('Verifying that packed image matches digest');
  await unpackMiniso(data, full.handle, async () => undefined);
  return { data, matched: table.length, total: minimalFiles.size, skipped, written };
}

/** Write the serialized data into the full ISO's data file, which it must fit. */
export async function writeMinisoFile(full: IsoFs, file: IsoFile, bytes: Buffer): Promise<void> {
  if (bytes.length > file.length) {
    throw new Error(`collision with end of file ${file.name} at offset ${file.length}`);
  }
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await full.handle.write(bytes, done, bytes.length - done, recordOffset(file) + done);
    done += bytesWritten;
  }
}
