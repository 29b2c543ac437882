// gzip (one member, RFC 1952, SPEC 2.8): its framing and its decoder.
//
// Framing: we parse only the header (FEXTRA/FNAME/FCOMMENT/FHCRC); the
// deflate body's end comes from zlib (InflateRaw stops early, its
// bytesWritten counts the input it used), then the 8-byte trailer (CRC32,
// ISIZE) is checked here.

import { Transform } from 'node:stream';
import { crc32, createInflateRaw } from 'node:zlib';
import { DECOMPRESS_CHUNK_SIZE } from '../../util/constants.js';
import { GZIP_EOF, GZIP_MAGIC } from '../compression.js';
import { FrameScanner, need, type DecodeOutput, type Framer, type MemberDecoder } from './member-decoder.js';

const TRAILER_SIZE = 8;

/** The gzip member header; the scanner's end is the deflate start. */
export function* gzipHeaderFramer(): Framer {
  const h = need(yield { need: 10 });
  if (h[0] !== GZIP_MAGIC[0] || h[1] !== GZIP_MAGIC[1]) throw new Error('gzip: invalid header');
  if (h[2] !== 8) throw new Error('gzip: unsupported compression method');
  const flags = h[3] ?? 0;
  if (flags & 0x04) yield { skip: need(yield { need: 2 }).readUInt16LE(0) };
  for (const bit of [0x08, 0x10]) {
    if (flags & bit) while (need(yield { need: 1 })[0] !== 0);
  }
  if (flags & 0x02) yield { skip: 2 };
}

/** Check a gzip trailer (CRC32 and ISIZE of the decoded data). */
export function checkGzipTrailer(trailer: Buffer, crc: number, size: number): void {
  if (trailer.length < TRAILER_SIZE) throw new Error(GZIP_EOF);
  if (trailer.readUInt32LE(0) !== crc >>> 0) throw new Error('gzip: invalid checksum');
  if (trailer.readUInt32LE(4) !== size % 2 ** 32) throw new Error('gzip: invalid size');
}

/** zlib's InflateRaw Transform run inside the decoder, its errors and end turned into promises. */
class Inflater {
  readonly stream: Transform;
  readonly ended: Promise<void>;
  private readonly failed: Promise<never>;
  /** Deflate input handed to zlib so far. */
  fed = 0;

  constructor(onData: (b: Buffer) => Promise<void>) {
    const stream = createInflateRaw({ chunkSize: DECOMPRESS_CHUNK_SIZE });
    this.stream = stream;
    this.failed = new Promise<never>((_, reject) => stream.once('error', reject));
    this.failed.catch(() => undefined);
    this.ended = Promise.race([new Promise<void>((resolve) => stream.once('end', resolve)), this.failed]);
    this.ended.catch(() => undefined);
    stream.on('data', (b: Buffer) => {
      // In order: nothing more comes until the reader took this chunk.
      stream.pause();
      onData(b).then(
        () => stream.resume(),
        (err: unknown) => stream.destroy(err as Error),
      );
    });
  }

  /** Input zlib has not used: it follows the deflate end. */
  get unused(): number {
    return this.fed - (this.stream as unknown as { bytesWritten: number }).bytesWritten;
  }

  write(buf: Buffer): Promise<void> {
    this.fed += buf.length;
    const written = new Promise<void>((resolve, reject) => {
      this.stream.write(buf, (err) => (err ? reject(err) : resolve()));
    });
    return Promise.race([written, this.failed]);
  }

  async finish(): Promise<void> {
    this.stream.end();
    await this.ended;
  }
}

type Part =
  | { kind: 'header'; scanner: FrameScanner }
  | { kind: 'body'; inflater: Inflater }
  | { kind: 'trailer'; bytes: Buffer }
  | { kind: 'done' };

class GzipDecoder implements MemberDecoder {
  private part: Part = { kind: 'header', scanner: new FrameScanner(gzipHeaderFramer(), GZIP_EOF) };
  private crc = 0;
  private size = 0;

  constructor(private readonly out: DecodeOutput) {}

  get done(): boolean {
    return this.part.kind === 'done';
  }

  async write(chunk: Buffer): Promise<number> {
    const p = this.part;
    switch (p.kind) {
      case 'header': {
        const used = p.scanner.feed(chunk);
        if (!p.scanner.done) return 0;
        const inflater = new Inflater((b) => {
          this.crc = crc32(b, this.crc);
          this.size += b.length;
          return this.out.emit(b);
        });
        this.part = { kind: 'body', inflater };
        return used < chunk.length ? this.write(chunk.subarray(used)) : 0;
      }
      case 'body': {
        await p.inflater.write(chunk);
        const unused = p.inflater.unused;
        if (unused === 0) return 0;
        await p.inflater.ended;
        this.part = { kind: 'trailer', bytes: Buffer.alloc(0) };
        return this.write(chunk.subarray(chunk.length - unused));
      }
      case 'trailer': {
        const bytes = Buffer.concat([p.bytes, chunk]);
        if (bytes.length < TRAILER_SIZE) {
          p.bytes = bytes;
          return 0;
        }
        checkGzipTrailer(bytes, this.crc, this.size);
        this.part = { kind: 'done' };
        return bytes.length - TRAILER_SIZE;
      }
      case 'done':
        return chunk.length;
    }
  }

  async end(): Promise<number> {
    const p = this.part;
    if (p.kind === 'body') {
      await p.inflater.finish();
      // A member ending inside the last chunk was handled by write().
    }
    if (this.part.kind !== 'done') throw new Error(GZIP_EOF);
    return 0;
  }

  close(): void {
    if (this.part.kind === 'body') this.part.inflater.stream.destroy();
  }
}

export async function openGzipDecoder(out: DecodeOutput): Promise<MemberDecoder> {
  return new GzipDecoder(out);
}
