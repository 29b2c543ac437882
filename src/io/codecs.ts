// Opening a codec for a sniffed member (SPEC 2.8, 4.5.2, 10.2).
//
// API for other modules:
//   openMemberDecoder(kind, out, o)   a streaming MemberDecoder (codec/member-decoder.ts) for one
//                                     gzip member, one xz stream or consecutive zstd frames;
//                                     o.parallel: multi-block xz on worker threads, a big zstd
//                                     image on a worker beside this thread (codec/offthread.ts)
//   decodeMember(data, offset, limit) concatenated mode over a Buffer: decode ONE member starting
//                                     at offset → { kind, decoded, consumed } (initrd reading);
//                                     DecodedTooLargeError past `limit` decoded bytes
//   xzCompress(buf)                   xz, preset 9, CRC32, single-threaded (SPEC 4.5.1)
//   prestartDecoders(name)            start the worker threads an image called `name` will be
//                                     decoded on, ahead (codec/worker-script.ts)
//
// Each codec lives in codec/<name>.ts with its framing (where a member ends)
// beside its decoder, and is imported only when a member of its kind shows up.

import type { Worker } from 'node:worker_threads';
import { ZSTD_EOF, sniffCompression, type Codec } from './compression.js';
import { BoundedCollector, type DecodeOutput, type MemberDecoder } from './codec/member-decoder.js';
import type { ParallelXzOptions } from './codec/parallel-xz.js';
import { defaultWorkers, discardPrestarted, prestartWorkers } from './codec/worker-script.js';

export interface OpenOptions {
  /**
   * Decode on worker threads: multi-block xz streams in parallel
   * (codec/parallel-xz.ts), zstd beside this thread (codec/offthread.ts)
   * unless lengthHint says it is small; false: everything on this thread.
   */
  parallel?: ParallelXzOptions | false;
}

/**
 * zstd input below this stays on this thread: starting a worker costs about
 * as much as decoding this much (zstd decodes ~1 GB/s, output ~3x the input).
 */
export const ZSTD_OFF_THREAD_MIN = 8 << 20;

export { DecodedTooLargeError } from './codec/member-decoder.js';

/** A streaming decoder for one member of `kind`, writing to `out`. */
export async function openMemberDecoder(kind: Codec, out: DecodeOutput, opts: OpenOptions = {}): Promise<MemberDecoder> {
  switch (kind) {
    case 'xz':
      if (opts.parallel !== undefined && opts.parallel !== false) {
        return (await import('./codec/parallel-xz.js')).openParallelXzDecoder(out, opts.parallel);
      }
      return (await import('./codec/xz.js')).openXzDecoder(out);
    case 'zstd': {
      const zstd = await import('./codec/zstd.js');
      const hint = opts.parallel ? (opts.parallel.lengthHint ?? 0) : 0;
      if (!opts.parallel || (hint > 0 && hint < ZSTD_OFF_THREAD_MIN)) {
        discardPrestarted('stream-worker');
        return zstd.openZstdDecoder(out);
      }
      const { openOffThreadDecoder } = await import('./codec/offthread.js');
      return openOffThreadDecoder('zstd', zstd.zstdFramer(), ZSTD_EOF, out);
    }
    case 'gzip':
      return (await import('./codec/gzip.js')).openGzipDecoder(out);
  }
}

/**
 * Start the worker threads that an image called `name` (a file name or URL
 * path) would be decoded on by openMemberDecoder() with `parallel`, and
 * return them: a command calls this before it opens and checks the image and
 * the disk, and the decoder then finds its workers started (40-80 ms each,
 * on the other cores). A guess from the name alone: workers the decoder does
 * not take are ended when it goes another way, or with the process.
 */
export function prestartDecoders(name: string): Worker[] {
  if (name.endsWith('.xz')) return prestartWorkers('xz-worker', defaultWorkers());
  if (name.endsWith('.zst')) return prestartWorkers('stream-worker', 1, { workerData: { codec: 'zstd' } });
  return [];
}

export interface DecodedMember {
  kind: Codec;
  decoded: Buffer;
  /** Compressed bytes used, from offset. */
  consumed: number;
}

/**
 * Decode the compressed member starting at `offset` (concatenated mode:
 * trailing data is returned to the caller), with the streaming decoder, so
 * that a member decoding to more than `limit` bytes fails as soon as it
 * passes the limit (DecodedTooLargeError) instead of first filling memory.
 */
export async function decodeMember(data: Buffer, offset: number, limit: number): Promise<DecodedMember> {
  const input = data.subarray(offset);
  const kind = sniffCompression(input.subarray(0, 6));
  if (kind === 'none') throw new Error('not a compressed member');
  const out = new BoundedCollector(limit);
  const decoder = await openMemberDecoder(kind, out);
  try {
    let trailing = await decoder.write(input);
    if (!decoder.done) trailing = await decoder.end();
    return { kind, decoded: out.result(), consumed: input.length - trailing };
  } finally {
    decoder.close();
  }
}

/** xz with preset 9 and a CRC32 check, single-threaded: upstream's bytes (SPEC 4.5.1). */
export async function xzCompress(data: Buffer): Promise<Buffer> {
  const { xzAsync, check } = await import('node-liblzma');
  return xzAsync(data, { preset: 9, check: check.CRC32, threads: 1 });
}
