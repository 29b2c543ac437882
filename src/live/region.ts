// Regions of an ISO that a customization rewrites, and the three ways of
// writing them (SPEC 4.6): positional writes in place, a copy to a FileHandle,
// or a stream that splices the regions into the input.

import type { FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { copyRange, readFullyAt, writeFully } from '../io/file-io.js';
import { DECOMPRESS_CHUNK_SIZE } from '../util/constants.js';

/** Reads of 4 MiB when bytes pass through user space (`-o -`). */
const STREAM_BUFFER_SIZE = 4 * DECOMPRESS_CHUNK_SIZE;
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

/** Copy the whole input into output (which starts empty) through user space, then apply the regions. */
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

/**
 * Stream [from, to) of the input: large reads, each into its own buffer (the
 * stream keeps it, no copy), the next read running while the last is written.
 */
async function streamRange(input: FileHandle, out: Writable, from: number, to: number): Promise<void> {
  let pos = from;
  let writing: Promise<void> = Promise.resolve();
  try {
    while (pos < to) {
      const buf = Buffer.allocUnsafe(Math.min(STREAM_BUFFER_SIZE, to - pos));
      const bytesRead = await readFullyAt(input, buf, pos);
      if (bytesRead === 0) {
        const err = new Error(`expected to copy ${to - from} bytes but instead copied ${pos - from} bytes`);
        throw new ContextError(`copying bytes from ${from} to ${to}`, err);
      }
      await writing;
      writing = writeChunk(out, buf.subarray(0, bytesRead));
      writing.catch(() => undefined); // awaited below; not unhandled while the next read runs
      pos += bytesRead;
    }
  } finally {
    await writing;
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
