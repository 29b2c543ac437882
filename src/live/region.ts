// Regions of an ISO that a customization rewrites, and the three ways of
// writing them (SPEC 4.6): positional writes in place, a copy to a FileHandle,
// or a stream that splices the regions into the input.

import type { FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { copyRange, readFullyAt, writeFully } from '../io/file-io.js';
import { BUFFER_SIZE } from '../util/constants.js';
import { ContextError, withContext } from '../util/errors.js';

export interface Region {
  /** Byte offset in the ISO. */
  offset: number;
  length: number;
  contents: Buffer;
  /** Only modified regions are written. */
  modified: boolean;
}

export function validateRegion(region: Region): void {
  if (region.contents.length !== region.length) {
    throw new Error(`expected region contents length ${region.length}, found ${region.contents.length}`);
  }
}

/** The modified regions sorted by offset, checked for size and overlap before anything is written. */
export function plannedWrites(regions: readonly Region[]): Region[] {
  const modified = regions.filter((r) => r.modified);
  modified.forEach(validateRegion);
  const sorted = [...modified].sort((a, b) => a.offset - b.offset);
  let cursor = 0;
  for (const region of sorted) {
    if (region.offset < cursor) {
      throw new Error(`region starting at ${region.offset} precedes current offset ${cursor}`);
    }
    cursor = region.offset + region.length;
  }
  return modified;
}

/** In place: one positional write per modified region, in the given order; no truncation. */
export async function writeRegions(handle: FileHandle, regions: readonly Region[]): Promise<void> {
  for (const region of plannedWrites(regions)) {
    await withContext(`writing region at offset ${region.offset}`, () => writeFully(handle, region.contents, region.offset));
  }
}

/** Copy the whole input file into output (which starts empty), then apply the regions. */
export async function copyWithRegions(input: FileHandle, output: FileHandle, regions: readonly Region[]): Promise<void> {
  const writes = plannedWrites(regions);
  await withContext('copying input to temporary file', () => copyRange(input, 0, undefined, output, 0));
  await writeRegions(output, writes);
}

function writeChunk(out: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    out.write(chunk, (err) => (err ? reject(err) : resolve()));
  });
}

async function streamRange(input: FileHandle, out: Writable, from: number, to: number): Promise<void> {
  const buf = Buffer.alloc(BUFFER_SIZE);
  let pos = from;
  while (pos < to) {
    const bytesRead = await readFullyAt(input, buf.subarray(0, Math.min(buf.length, to - pos)), pos);
    if (bytesRead === 0) {
      const err = new Error(`expected to copy ${to - from} bytes but instead copied ${pos - from} bytes`);
      throw new ContextError(`copying bytes from ${from} to ${to}`, err);
    }
    await writeChunk(out, Buffer.from(buf.subarray(0, bytesRead)));
    pos += bytesRead;
  }
}

/** Stream the input with the modified regions spliced in (the `-o -` mode). */
export async function streamWithRegions(input: FileHandle, out: Writable, regions: readonly Region[]): Promise<void> {
  const writes = plannedWrites(regions).sort((a, b) => a.offset - b.offset);
  let cursor = 0;
  for (const region of writes) {
    await streamRange(input, out, cursor, region.offset);
    await writeChunk(out, region.contents);
    cursor = region.offset + region.length;
  }
  const { size } = await input.stat();
  await streamRange(input, out, cursor, Math.max(cursor, size));
}
