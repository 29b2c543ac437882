// Compression sniffing and decoding (SPEC 2.8, 4.5.2, 10.2).
//
// API for other modules:
//   sniffCompression(head)            'gzip' | 'xz' | 'zstd' | 'none' from the first 6 bytes
//   decodeMember(data, offset)        concatenated mode over a Buffer: decode ONE gzip member,
//                                     ONE xz stream or consecutive zstd frames starting at
//                                     offset → { kind, decoded, consumed } (initrd reading)
//   createStrictDecoder()             streaming strict mode (download, install): a Transform
//                                     that sniffs its input, passes uncompressed data through,
//                                     decodes one member with bounded memory and 1 MiB output
//                                     chunks, and fails with "found trailing data after
//                                     compressed stream" if any byte follows, or on truncation
//   xzCompress(buf)                   xz, preset 9, CRC32, single-threaded (SPEC 4.5.1)
//
// Codecs: node:zlib (inflateRaw; we parse the gzip header and trailer), node-liblzma
// (liblzma, the same encoder as upstream) and zstd-napi's DCtx, imported lazily.

import { crc32, inflateRawSync } from 'node:zlib';
import { FrameScanner, gzipHeaderFramer, isZstdMagic, xzFramer, zstdFramer, type Framer } from './member-frame.js';
import { DECOMPRESS_CHUNK_SIZE } from '../util/constants.js';

export type Compression = 'gzip' | 'xz' | 'zstd' | 'none';

const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);

/** Upstream's magic-byte sniffing (SPEC 2.8). */
export function sniffCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 6 && head.subarray(0, 6).equals(XZ_MAGIC)) return 'xz';
  if (head.length > 4 && isZstdMagic(head.readUInt32LE(0))) return 'zstd';
  return 'none';
}

export const TRAILING_DATA = 'found trailing data after compressed stream';
export const ZSTD_EOF = 'premature EOF reading zstd frame';
export const XZ_EOF = 'premature EOF reading xz stream';
export const GZIP_EOF = 'premature EOF reading gzip member';

/** Scan one member over a whole buffer; returns its length. */
export function memberLength(framer: Framer, data: Buffer, eofMessage: string): number {
  const scanner = new FrameScanner(framer, eofMessage);
  scanner.feed(data);
  scanner.finish();
  return scanner.end;
}

/** Check a gzip trailer (CRC32 and ISIZE of the decoded data). */
export function checkGzipTrailer(trailer: Buffer, crc: number, size: number): void {
  if (trailer.length < 8) throw new Error(GZIP_EOF);
  if (trailer.readUInt32LE(0) !== crc >>> 0) throw new Error('gzip: invalid checksum');
  if (trailer.readUInt32LE(4) !== size % 2 ** 32) throw new Error('gzip: invalid size');
}

export interface DecodedMember {
  kind: Exclude<Compression, 'none'>;
  decoded: Buffer;
  /** Compressed bytes used, from offset. */
  consumed: number;
}

/** Decode the compressed member starting at `offset` (concatenated mode: trailing data is returned to the caller). */
export async function decodeMember(data: Buffer, offset: number): Promise<DecodedMember> {
  const input = data.subarray(offset);
  const kind = sniffCompression(input.subarray(0, 6));
  switch (kind) {
    case 'gzip': {
      const start = memberLength(gzipHeaderFramer(), input, GZIP_EOF);
      // `info: true` returns the engine too; its bytesWritten counts the input consumed.
      const result = inflateRawSync(input.subarray(start), {
        info: true,
        chunkSize: DECOMPRESS_CHUNK_SIZE,
      } as object) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
      const end = start + result.engine.bytesWritten;
      checkGzipTrailer(input.subarray(end, end + 8), crc32(result.buffer), result.buffer.length);
      return { kind, decoded: result.buffer, consumed: end + 8 };
    }
    case 'xz': {
      const length = memberLength(xzFramer(), input, XZ_EOF);
      const { unxzAsync } = await import('node-liblzma');
      const decoded = await unxzAsync(input.subarray(0, length), { chunkSize: DECOMPRESS_CHUNK_SIZE });
      return { kind, decoded, consumed: length };
    }
    case 'zstd': {
      const length = memberLength(zstdFramer(), input, ZSTD_EOF);
      const { decompress } = await import('zstd-napi');
      return { kind, decoded: decompress(input.subarray(0, length)), consumed: length };
    }
    case 'none':
      throw new Error('not a compressed member');
  }
}

/** xz with preset 9 and a CRC32 check, single-threaded: upstream's bytes (SPEC 4.5.1). */
export async function xzCompress(data: Buffer): Promise<Buffer> {
  const { xzAsync, check } = await import('node-liblzma');
  return xzAsync(data, { preset: 9, check: check.CRC32, threads: 1 });
}

