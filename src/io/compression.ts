// Compression formats (SPEC 2.8, 10.2): the magic numbers, upstream's
// sniffing and the error wording, shared by every codec (codec/*.ts) and by
// codecs.ts, which opens them. No codec is loaded here: sniffing is free.

export type Compression = 'gzip' | 'xz' | 'zstd' | 'none';
export type Codec = Exclude<Compression, 'none'>;

export const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
export const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
/** xz stream footer magic ("YZ"). */
export const XZ_FOOTER_MAGIC = Buffer.from([0x59, 0x5a]);
export const ZSTD_MAGIC = 0xfd2fb528;

/** A zstd frame or skippable frame (0x184D2A50..5F), little-endian. */
export function isZstdMagic(v: number): boolean {
  return v === ZSTD_MAGIC || (v & 0xfffffff0) >>> 0 === 0x184d2a50;
}

/** Upstream's magic-byte sniffing (SPEC 2.8). */
export function sniffCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1]) return 'gzip';
  if (head.length >= 6 && head.subarray(0, 6).equals(XZ_MAGIC)) return 'xz';
  if (head.length > 4 && isZstdMagic(head.readUInt32LE(0))) return 'zstd';
  return 'none';
}

export const TRAILING_DATA = 'found trailing data after compressed stream';
export const ZSTD_EOF = 'premature EOF reading zstd frame';
export const XZ_EOF = 'premature EOF reading xz stream';
export const GZIP_EOF = 'premature EOF reading gzip member';
