// The parallel xz decoder (codec/parallel-xz.ts) against the streaming one:
// byte-identical output on multi-block streams, every block's check and the
// index verified, clear errors naming the offset, fallback for single-block
// and header-less streams. Install through it: test/root/install.test.ts.

import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { memberLength } from '../../src/io/codec/member-decoder.js';
import { openParallelXzDecoder } from '../../src/io/codec/parallel-xz.js';
import { xzFramer, type FramedBlock } from '../../src/io/codec/xz.js';
import { XZ_EOF } from '../../src/io/compression.js';
import { createStrictDecoder } from '../../src/io/strict-decoder.js';
import { needs } from '../helpers/env.js';
import { ROOT } from '../helpers/tmp.js';
import { join } from 'node:path';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const xz = (input: Buffer, args: string[]): Buffer => execFileSync('xz', ['-c', ...args], { input, maxBuffer: 1 << 28 });

/** Binaries, text and random bytes, about 6 MiB: blocks of every kind. */
function realistic(): Buffer {
  const binary = readFileSync(process.execPath);
  const text = Buffer.from(readFileSync(join(ROOT, 'README.md'), 'utf8').repeat(100));
  return Buffer.concat([binary.subarray(0, 2 << 20), text.subarray(0, 2 << 20), randomBytes(1 << 20), Buffer.alloc(1 << 20, 7)]);
}

function blocksOf(data: Buffer): { blocks: FramedBlock[]; indexStart: number } {
  const blocks: FramedBlock[] = [];
  let indexStart = -1;
  memberLength(xzFramer({ block: (b) => blocks.push(b), index: (s) => (indexStart = s) }), data, XZ_EOF);
  return { blocks, indexStart };
}

interface Run {
  out: Buffer;
  sizes: number[];
  parallel: boolean;
}

/** Decode through the parallel decoder directly, fed in `chunk`-byte pieces. */
async function parallel(data: Buffer, chunk = 65536, lengthHint?: number): Promise<Run> {
  const out: Buffer[] = [];
  const decoder = await openParallelXzDecoder(
    { emit: async (b) => void out.push(Buffer.from(b)) },
    { workers: 2, ...(lengthHint !== undefined ? { lengthHint } : {}) },
  );
  try {
    let trailing = 0;
    for (let i = 0; i < data.length; i += chunk) trailing += await decoder.write(data.subarray(i, i + chunk));
    trailing += await decoder.end();
    if (trailing > 0) throw new Error('found trailing data after compressed stream');
    expect(decoder.done).toBe(true);
    return {
      out: Buffer.concat(out),
      sizes: out.map((b) => b.length),
      parallel: (decoder as unknown as { mode: string }).mode === 'parallel',
    };
  } finally {
    decoder.close();
  }
}

async function parallelError(data: Buffer, chunk?: number): Promise<string> {
  return parallel(data, chunk).then(
    () => 'no error',
    (err: Error) => err.message,
  );
}

async function streaming(data: Buffer): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(
    Readable.from([data]),
    createStrictDecoder({ parallel: false }),
    new Writable({
      write(c: Buffer, _e, cb) {
        out.push(Buffer.from(c));
        cb();
      },
    }),
  );
  return Buffer.concat(out);
}

/** Recompute the CRC32 that ends the index after editing it. */
function fixIndexCrc(data: Buffer, indexStart: number): void {
  const footer = data.subarray(data.length - 12);
  const indexSize = (footer.readUInt32LE(4) + 1) * 4;
  data.writeUInt32LE(crc32(data.subarray(indexStart, indexStart + indexSize - 4)), indexStart + indexSize - 4);
}

describe.skipIf(needs({ tools: ['xz'] }))('parallel xz decoding', () => {
  let raw: Buffer;
  let multi: Buffer;
  beforeAll(() => {
    raw = realistic();
    multi = xz(raw, ['-T2', '-1', '--block-size=1MiB']);
  });

  it('multi-block: byte-identical to the streaming decoder, in order, chunks of at most 1 MiB', async () => {
    expect(blocksOf(multi).blocks.length).toBeGreaterThanOrEqual(6);
    for (const chunk of [1 << 20, 65536, 4099]) {
      const run = await parallel(multi, chunk);
      expect(run.parallel).toBe(true);
      expect(sha256(run.out)).toBe(sha256(await streaming(multi)));
      expect(sha256(run.out)).toBe(sha256(raw));
      expect(Math.max(...run.sizes)).toBeLessThanOrEqual(1 << 20);
    }
  });

  it.each([['crc32'], ['crc64'], ['sha256'], ['none']])('multi-block with check %s', async (check) => {
    const data = xz(raw.subarray(0, 3 << 20), ['-T2', '-0', '--block-size=512KiB', `--check=${check}`]);
    const run = await parallel(data);
    expect(run.parallel).toBe(true);
    expect(run.out.equals(raw.subarray(0, 3 << 20))).toBe(true);
  });

  it('through the strict decoder Transform (the install and download path)', async () => {
    const out: Buffer[] = [];
    await pipeline(
      Readable.from([multi.subarray(0, 100000), multi.subarray(100000)]),
      createStrictDecoder({ parallel: { workers: 2, lengthHint: multi.length } }),
      new Writable({
        write(c: Buffer, _e, cb) {
          out.push(Buffer.from(c));
          cb();
        },
      }),
    );
    expect(sha256(Buffer.concat(out))).toBe(sha256(raw));
  });

  it('a corrupt block or check: an error naming the block offset', async () => {
    const { blocks } = blocksOf(multi);
    const third = blocks[2] as FramedBlock;
    const bad = Buffer.from(multi);
    const at = third.start + third.headerSize + 100;
    bad[at] = (bad[at] ?? 0) ^ 0x55;
    const message = await parallelError(bad);
    expect(message).toMatch(new RegExp(`^xz block at offset ${third.start}: (Data is corrupt|.+)$`));
    // The check catches what the decoder does not: flip a byte of the check field.
    const badCheck = Buffer.from(multi);
    badCheck[third.end - 1] = (badCheck[third.end - 1] ?? 0) ^ 1;
    expect(await parallelError(badCheck)).toBe(`xz block at offset ${third.start}: Data is corrupt`);
  });

  it('a truncated index or footer: premature EOF', async () => {
    const { indexStart } = blocksOf(multi);
    for (const cut of [indexStart + 1, indexStart + 5, multi.length - 13, multi.length - 1]) {
      expect(await parallelError(multi.subarray(0, cut))).toBe(XZ_EOF);
    }
  });

  it('an index that does not match the blocks, or with a bad CRC, or a bad footer', async () => {
    const { indexStart } = blocksOf(multi);
    // Record 1's uncompressed size is 1 MiB (varint 80 80 40): make it 1 MiB + 1.
    const wrongSize = Buffer.from(multi);
    const recordsStart = indexStart + 2;
    const unpadded = recordsStart + wrongSize.subarray(recordsStart).findIndex((b) => (b & 0x80) === 0) + 1;
    wrongSize[unpadded] = (wrongSize[unpadded] ?? 0) + 1;
    fixIndexCrc(wrongSize, indexStart);
    expect(await parallelError(wrongSize)).toBe(`xz: index does not match the blocks at offset ${indexStart}`);
    const badCrc = Buffer.from(multi);
    badCrc[multi.length - 13] = (badCrc[multi.length - 13] ?? 0) ^ 1;
    expect(await parallelError(badCrc)).toBe(`xz: corrupt index at offset ${indexStart}`);
    const badFooter = Buffer.from(multi);
    badFooter[multi.length - 9] = (badFooter[multi.length - 9] ?? 0) ^ 1;
    expect(await parallelError(badFooter)).toBe(`xz: corrupt stream footer at offset ${indexStart}`);
  });

  it('a block waiting behind a slowly written one: its worker stops at half of it, and the output stays whole and in order', async () => {
    // Three 8 MiB blocks; the first is written slowly (25 ms a MiB-chunk), so
    // the second is decoded meanwhile and waits. Without flow control all of
    // it waited; now its worker waits once half of it (plus the worker's two
    // spare buffers and the piece in hand) is in.
    const big = Buffer.concat([raw, raw, raw, raw]).subarray(0, 20 << 20);
    const data = xz(big, ['-T2', '-0', '--block-size=8MiB']);
    expect(blocksOf(data).blocks.length).toBe(3);
    type Queue = Array<{ pieces: Buffer[]; block: FramedBlock }>;
    let decoder: { queue: Queue } | undefined;
    let maxWaiting = 0;
    let waitingBlock = 0;
    const out: Buffer[] = [];
    const emit = async (b: Buffer): Promise<void> => {
      out.push(Buffer.from(b));
      for (const job of (decoder?.queue ?? []).slice(1)) {
        const held = job.pieces.reduce((n, piece) => n + piece.length, 0);
        if (held <= maxWaiting) continue;
        maxWaiting = held;
        waitingBlock = job.block.uncompressedSize ?? 0;
      }
      if (out.length <= 8) await new Promise((resolve) => setTimeout(resolve, 25));
    };
    const opened = await openParallelXzDecoder({ emit }, { workers: 2 });
    decoder = opened as unknown as { queue: Queue };
    try {
      for (let i = 0; i < data.length; i += 1 << 20) expect(await opened.write(data.subarray(i, i + (1 << 20)))).toBe(0);
      expect(await opened.end()).toBe(0);
    } finally {
      opened.close();
    }
    expect(sha256(Buffer.concat(out))).toBe(sha256(big));
    expect(waitingBlock).toBe(8 << 20);
    expect(maxWaiting).toBeGreaterThanOrEqual(4 << 20);
    expect(maxWaiting).toBeLessThanOrEqual((4 + 3) << 20);
  });

  it('trailing data after the stream', async () => {
    expect(await parallelError(Buffer.concat([multi, Buffer.from([0])]))).toBe('found trailing data after compressed stream');
  });

  it('falls back to the streaming decoder: one block, no sizes in the header, big blocks', async () => {
    const one = xz(raw, ['-T2', '-1', '--block-size=64MiB']);
    expect(blocksOf(one).blocks.length).toBe(1);
    const single = await parallel(one, 65536, one.length);
    expect(single.parallel).toBe(false);
    expect(sha256(single.out)).toBe(sha256(raw));
    // xz -T1 writes one block whose header states no sizes.
    const unsized = await parallel(xz(raw, ['-T1', '-1']));
    expect(unsized.parallel).toBe(false);
    expect(sha256(unsized.out)).toBe(sha256(raw));
    const huge = Buffer.alloc(65 << 20);
    const bigBlocks = xz(huge, ['-T2', '-0', '--block-size=65MiB']);
    const run = await parallel(bigBlocks);
    expect(run.parallel).toBe(false);
    expect(run.out.length).toBe(huge.length);
  });
});
