// Reading a kernel-style initrd as a stream (SPEC 4.5.2), with flat memory:
// concatenated archives, each uncompressed or one gzip member / xz stream /
// run of zstd frames, zero padding between them. Compressed members are
// decoded as they arrive and their cpio is parsed as it decodes; only the
// kept members' bytes are held. For live initramfs images of any size
// (`pxe customize`), where Initrd.fromBuffer would hold the whole archive.
//
// Member ends are found as the strict decoder finds them (io/codec/):
// xz and zstd structurally, gzip by zlib stopping at the deflate end (its
// bytesWritten counts the input it used), then the 8-byte trailer.

import { crc32, createInflateRaw } from 'node:zlib';
import type { Transform } from 'node:stream';
import { DECOMPRESS_CHUNK_SIZE } from '../util/constants.js';
import { CliError, ContextError } from '../util/errors.js';
import { FrameScanner } from '../io/codec/member-decoder.js';
import { checkGzipTrailer, gzipHeaderFramer } from '../io/codec/gzip.js';
import { xzFramer } from '../io/codec/xz.js';
import { zstdFramer } from '../io/codec/zstd.js';
import { GZIP_EOF, XZ_EOF, ZSTD_EOF, sniffCompression } from '../io/compression.js';
import type { NewcEntry } from './newc.js';
import { NewcPushParser } from './newc-stream.js';

/** Sequential chunks of input with push-back of what a stage did not use. */
export class ChunkSource {
  private readonly pushedBack: Buffer[] = [];

  constructor(private readonly read: () => Promise<Buffer | undefined>) {}

  async next(): Promise<Buffer | undefined> {
    const back = this.pushedBack.pop();
    if (back !== undefined) return back;
    return this.read();
  }

  /** Return bytes to the front of the input. */
  unread(chunk: Buffer): void {
    if (chunk.length > 0) this.pushedBack.push(chunk);
  }
}

const GARBAGE = 'found trailing garbage inside compressed archive';

/** A failure of the consumer inside a codec callback: rethrown as is, not as a codec error. */
class SinkFailure {
  constructor(readonly error: unknown) {}
}

/**
 * Read every archive of the input, calling `onFile` for each regular file
 * whose name `keep` accepts (later entries replace earlier ones at the caller).
 */
export async function scanInitrd(source: ChunkSource, keep: (name: string) => boolean, onFile: (entry: NewcEntry) => void): Promise<void> {
  for (;;) {
    let chunk = await source.next();
    if (chunk === undefined) return;
    const start = chunk.findIndex((b) => b !== 0);
    if (start < 0) continue;
    chunk = chunk.subarray(start);
    const parts = [chunk];
    let length = chunk.length;
    while (length < 6) {
      const more = await source.next();
      if (more === undefined) break;
      parts.push(more);
      length += more.length;
    }
    const head = parts.length === 1 ? chunk : Buffer.concat(parts);
    source.unread(head);
    const kind = sniffCompression(head.subarray(0, 6));
    const parser = new NewcPushParser(keep, onFile);
    if (kind === 'none') {
      await feedRaw(source, parser);
      continue;
    }
    const sink = (decoded: Buffer): void => {
      const used = parser.done ? 0 : parser.feed(decoded);
      if (decoded.subarray(used).some((b) => b !== 0)) throw new CliError(GARBAGE);
    };
    try {
      if (kind === 'gzip') await decodeGzip(source, sink);
      else await decodeFramed(kind, source, sink);
    } catch (err) {
      if (err instanceof SinkFailure) throw err.error;
      throw new ContextError('reading CPIO entry', err);
    }
    parser.finish();
  }
}

async function feedRaw(source: ChunkSource, parser: NewcPushParser): Promise<void> {
  while (!parser.done) {
    const chunk = await source.next();
    if (chunk === undefined) {
      parser.finish();
      return;
    }
    const used = parser.feed(chunk);
    source.unread(chunk.subarray(used));
  }
}

function callSink(sink: (b: Buffer) => void, data: Buffer): void {
  try {
    sink(data);
  } catch (err) {
    throw new SinkFailure(err);
  }
}

interface ZstdDCtx {
  decompressStream(dst: Uint8Array, src: Uint8Array): [number, number, number];
}

/** A decoder for the bytes of one xz stream or zstd frame run. */
interface FramedCodec {
  write(input: Buffer): Promise<void>;
  end(): Promise<void>;
}

async function zstdCodec(sink: (b: Buffer) => void): Promise<FramedCodec> {
  type Binding = { DCtx: new () => ZstdDCtx };
  // binding.js assigns module.exports dynamically: Node's ESM loader only exposes `default`.
  const mod = (await import('zstd-napi/binding.js')) as unknown as Binding & { default?: Binding };
  const dctx = new (mod.default ?? mod).DCtx();
  const out = Buffer.allocUnsafe(DECOMPRESS_CHUNK_SIZE);
  const run = (input: Buffer): void => {
    let src = input;
    for (;;) {
      const [, produced, consumed] = dctx.decompressStream(out, src);
      if (produced > 0) callSink(sink, out.subarray(0, produced));
      src = src.subarray(consumed);
      if (produced === out.length) continue; // the decoder may hold more output
      if (src.length === 0) return;
    }
  };
  return { write: async (input) => run(input), end: async () => run(Buffer.alloc(0)) };
}

/** Drive a Node Transform codec: writes wait for processing; its output goes to the sink. */
function transformCodec(
  stream: Transform,
  onData: (b: Buffer) => void,
): {
  write(b: Buffer): Promise<void>;
  end(): Promise<void>;
  ended: Promise<void>;
} {
  let sinkError: SinkFailure | undefined;
  const failed = new Promise<never>((_, reject) => stream.once('error', reject));
  failed.catch(() => undefined);
  const ended = Promise.race([new Promise<void>((resolve) => stream.once('end', resolve)), failed]);
  ended.catch(() => undefined);
  stream.on('data', (b: Buffer) => {
    if (sinkError !== undefined) return;
    try {
      onData(b);
    } catch (err) {
      sinkError = err instanceof SinkFailure ? err : new SinkFailure(err);
      stream.destroy(new Error('initrd consumer failed'));
    }
  });
  const check = (): void => {
    if (sinkError !== undefined) throw sinkError;
  };
  return {
    async write(b) {
      const written = new Promise<void>((resolve, reject) => stream.write(b, (err) => (err ? reject(err) : resolve())));
      try {
        await Promise.race([written, failed]);
      } catch (err) {
        check();
        throw err;
      }
      check();
    },
    async end() {
      stream.end();
      try {
        await ended;
      } catch (err) {
        check();
        throw err;
      }
      check();
    },
    ended,
  };
}

async function xzCodec(sink: (b: Buffer) => void): Promise<FramedCodec> {
  const lz = await import('node-liblzma');
  const stream = lz.createUnxz({ chunkSize: DECOMPRESS_CHUNK_SIZE }) as unknown as Transform;
  return transformCodec(stream, (b) => callSink(sink, b));
}

/** One xz stream or a run of zstd frames: the scanner finds the end, the codec sees only member bytes. */
async function decodeFramed(kind: 'xz' | 'zstd', source: ChunkSource, sink: (b: Buffer) => void): Promise<void> {
  const scanner = kind === 'xz' ? new FrameScanner(xzFramer(), XZ_EOF) : new FrameScanner(zstdFramer(), ZSTD_EOF);
  const codec = kind === 'xz' ? await xzCodec(sink) : await zstdCodec(sink);
  let held: Buffer = Buffer.alloc(0);
  let forwarded = 0;
  for (;;) {
    const chunk = await source.next();
    if (chunk === undefined) {
      scanner.finish();
    } else {
      const used = scanner.feed(chunk);
      source.unread(chunk.subarray(used));
      held = held.length === 0 ? chunk.subarray(0, used) : Buffer.concat([held, chunk.subarray(0, used)]);
    }
    const n = scanner.committed - forwarded;
    if (n > 0) await codec.write(held.subarray(0, n));
    held = held.subarray(n);
    forwarded += n;
    if (scanner.done) {
      // Lookahead bytes past the member's end belong to what follows.
      source.unread(held);
      break;
    }
  }
  await codec.end();
}

async function readExact(source: ChunkSource, length: number, eofMessage: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let have = 0;
  while (have < length) {
    const chunk = await source.next();
    if (chunk === undefined) throw new Error(eofMessage);
    const take = Math.min(length - have, chunk.length);
    parts.push(chunk.subarray(0, take));
    source.unread(chunk.subarray(take));
    have += take;
  }
  return Buffer.concat(parts);
}

/** One gzip member: header, deflate body until zlib stops, 8-byte trailer (CRC32, ISIZE). */
async function decodeGzip(source: ChunkSource, sink: (b: Buffer) => void): Promise<void> {
  const header = new FrameScanner(gzipHeaderFramer(), GZIP_EOF);
  while (!header.done) {
    const chunk = await source.next();
    if (chunk === undefined) {
      header.finish();
      break;
    }
    source.unread(chunk.subarray(header.feed(chunk)));
  }
  let crc = 0;
  let size = 0;
  const stream = createInflateRaw({ chunkSize: DECOMPRESS_CHUNK_SIZE });
  const codec = transformCodec(stream, (b) => {
    crc = crc32(b, crc);
    size += b.length;
    callSink(sink, b);
  });
  let fed = 0;
  for (;;) {
    const chunk = await source.next();
    if (chunk === undefined) {
      await codec.end();
      throw new Error(GZIP_EOF);
    }
    fed += chunk.length;
    await codec.write(chunk);
    const unused = fed - (stream as unknown as { bytesWritten: number }).bytesWritten;
    if (unused > 0) {
      await codec.ended;
      source.unread(chunk.subarray(chunk.length - unused));
      break;
    }
  }
  checkGzipTrailer(await readExact(source, 8, GZIP_EOF), crc, size);
}
