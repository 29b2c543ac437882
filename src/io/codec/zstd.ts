// zstd (consecutive frames, SPEC 2.8): its framing and its decoder.
//
// Framing: frames (header, block headers, optional checksum) and skippable
// frames, one after another while the next 4 bytes are a frame magic.
// Decoding: zstd-napi's DCtx, driven synchronously into 1 MiB chunks, on this
// thread or, for an image, on a worker thread (offthread.ts).

import { ZSTD_EOF, ZSTD_MAGIC, isZstdMagic } from '../compression.js';
import {
  ChunkedOutput,
  MemberBounds,
  SteppedDecoder,
  need,
  type CodecStep,
  type DecodeOutput,
  type Framer,
  type MemberDecoder,
} from './member-decoder.js';

/** zstd frames (and skippable frames) while the next 4 bytes start one. */
export function* zstdFramer(): Framer {
  for (let first = true; ; first = false) {
    const magicBytes = yield { need: 4, lookahead: !first };
    const magic = need(magicBytes).readUInt32LE(0);
    if (magic !== ZSTD_MAGIC) {
      if (!isZstdMagic(magic)) return 'lookahead';
      yield { skip: need(yield { need: 4 }).readUInt32LE(0) };
      continue;
    }
    const fhd = need(yield { need: 1 })[0] ?? 0;
    const fcsFlag = fhd >> 6;
    const single = (fhd >> 5) & 1;
    const hasChecksum = (fhd >> 2) & 1;
    const dictSize = [0, 1, 2, 4][fhd & 3] ?? 0;
    const fcsSize = fcsFlag === 0 ? single : ([0, 2, 4, 8][fcsFlag] ?? 0);
    yield { skip: (single ? 0 : 1) + dictSize + fcsSize };
    for (;;) {
      const bh = need(yield { need: 3 });
      const v = (bh[0] ?? 0) | ((bh[1] ?? 0) << 8) | ((bh[2] ?? 0) << 16);
      const type = (v >> 1) & 3;
      if (type === 3) throw new Error('zstd: reserved block type');
      yield { skip: type === 1 ? 1 : v >>> 3 };
      if (v & 1) break;
    }
    if (hasChecksum) yield { skip: 4 };
  }
}

interface ZstdDCtx {
  decompressStream(dst: Uint8Array, src: Uint8Array): [number, number, number];
}

interface ZstdBinding {
  DCtx: new () => ZstdDCtx;
}

/**
 * One zstd decoding context as a CodecStep: the frames' end is the framer's
 * to find, so `ended` is never set. Shared by the decoder below and the
 * stream worker (offthread.ts).
 */
export async function openZstdStep(): Promise<CodecStep> {
  // binding.js assigns module.exports dynamically: Node's ESM loader only exposes `default`.
  const mod = (await import('zstd-napi/binding.js')) as unknown as ZstdBinding & { default?: ZstdBinding };
  const dctx = new (mod.default ?? mod).DCtx();
  return (src, out, outOff) => {
    const [, produced, consumed] = dctx.decompressStream(out.subarray(outOff), src);
    return { produced, consumed, ended: false };
  };
}

class ZstdDecoder extends SteppedDecoder {
  private readonly bounds = new MemberBounds(zstdFramer(), ZSTD_EOF);
  private readonly sink: ChunkedOutput;

  constructor(
    private readonly codec: CodecStep,
    out: DecodeOutput,
  ) {
    super();
    this.sink = new ChunkedOutput(out);
  }

  protected async step(input: Buffer, eof: boolean): Promise<number> {
    if (this.ended) return input.length;
    const { forward, trailing } = this.bounds.take(input, eof);
    await this.sink.drain(forward, this.codec);
    if (!this.bounds.done) return 0;
    await this.sink.flush();
    this.ended = true;
    return trailing;
  }

  close(): void {
    // The DCtx is freed by the garbage collector.
  }
}

export async function openZstdDecoder(out: DecodeOutput): Promise<MemberDecoder> {
  return new ZstdDecoder(await openZstdStep(), out);
}
