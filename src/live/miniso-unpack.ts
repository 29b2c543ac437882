// Rebuilding a minimal ISO from its data file and the full ISO (SPEC 4.13.3),
// streamed: the packed bytes come out of the xz decoder as they are needed and
// the shared ranges are copied from the full ISO in 256 KiB blocks, so memory
// stays flat whatever the size. Every byte written is hashed and the result
// must match the digest recorded by the packer.

import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createStrictDecoder } from '../io/strict-decoder.js';
import { sniffCompression } from '../io/compression.js';
import { BUFFER_SIZE } from '../util/constants.js';
import { ContextError, withContext } from '../util/errors.js';
import { MINISO_BLOCK_SIZE, type MinisoData } from './miniso.js';

/** Receives the minimal ISO's bytes in order. */
export type MinisoSink = (chunk: Buffer) => Promise<void>;

/** Feed the packed stream in small slices so the decoder's output is paced by its reader. */
const PACKED_SLICE = 16 * 1024;

function* slices(buf: Buffer): Generator<Buffer> {
  for (let pos = 0; pos < buf.length; pos += PACKED_SLICE) yield buf.subarray(pos, pos + PACKED_SLICE);
}

function shortCopy(wanted: number, copied: number): Error {
  return new Error(`expected to copy ${wanted} bytes but instead copied ${copied} bytes`);
}

/** Pulls exact byte counts out of the decoded packed stream. */
class PackedReader {
  private held: Buffer = Buffer.alloc(0);
  constructor(private readonly source: AsyncIterator<Buffer>) {}

  /** Pass the next `n` bytes to `sink`; fewer available is an error. */
  async copy(n: number, sink: MinisoSink): Promise<void> {
    let copied = 0;
    while (copied < n) {
      if (this.held.length === 0) {
        const next = await this.source.next();
        if (next.done === true) throw shortCopy(n, copied);
        this.held = next.value;
        continue;
      }
      const take = Math.min(this.held.length, n - copied);
      await sink(this.held.subarray(0, take));
      this.held = this.held.subarray(take);
      copied += take;
    }
  }

  /** Pass everything left to `sink`. */
  async rest(sink: MinisoSink): Promise<void> {
    if (this.held.length > 0) await sink(this.held);
    this.held = Buffer.alloc(0);
    for (let next = await this.source.next(); next.done !== true; next = await this.source.next()) {
      await sink(next.value);
    }
  }
}

async function copyFromFull(full: FileHandle, offset: number, length: number, sink: MinisoSink): Promise<void> {
  const buf = Buffer.allocUnsafe(Math.min(BUFFER_SIZE, Math.max(length, 1)));
  let copied = 0;
  while (copied < length) {
    const { bytesRead } = await full.read(buf, 0, Math.min(buf.length, length - copied), offset + copied);
    if (bytesRead === 0) throw shortCopy(length, copied);
    await sink(buf.subarray(0, bytesRead));
    copied += bytesRead;
  }
}

/**
 * Write the minimal ISO to `sink` (SPEC 4.13.3) and check its SHA-256.
 * Returns the number of bytes written.
 */
export async function unpackMiniso(data: MinisoData, full: FileHandle, sink: MinisoSink, signal?: AbortSignal): Promise<number> {
  const hash = createHash('sha256');
  let cursor = 0;
  const out: MinisoSink = async (chunk) => {
    hash.update(chunk);
    cursor += chunk.length;
    await sink(chunk);
  };
  const unpack = async (decoded: AsyncIterable<Buffer>): Promise<void> => {
    const packed = new PackedReader(decoded[Symbol.asyncIterator]());
    for (const entry of data.entries) {
      const start = entry.minimal * MINISO_BLOCK_SIZE;
      if (start > cursor) {
        const n = start - cursor;
        await withContext(`copying ${n} packed bytes at offset ${cursor}`, () => packed.copy(n, out));
      }
      const fullOffset = entry.full * MINISO_BLOCK_SIZE;
      await withContext(`copying full ISO file at offset ${fullOffset}`, () => copyFromFull(full, fullOffset, entry.length, out));
    }
    await withContext('copying remaining packed bytes', () => packed.rest(out));
  };
  if (sniffCompression(data.xzpacked.subarray(0, 6)) !== 'xz') {
    throw new ContextError('decoding packed data', new Error('File format not recognized'));
  }
  await pipeline(Readable.from(slices(data.xzpacked)), createStrictDecoder(), unpack, signal ? { signal } : {});
  const found = hash.digest();
  if (!found.equals(data.digest)) {
    throw new Error(`wrong final digest: expected ${data.digest.toString('hex')}, found ${found.toString('hex')}`);
  }
  return cursor;
}
