import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecodedTooLargeError, decodeMember, xzCompress } from '../../src/io/codecs.js';
import { sniffCompression } from '../../src/io/compression.js';
import { createStrictDecoder } from '../../src/io/strict-decoder.js';
import { needs } from '../helpers/env.js';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, fixture } from '../helpers/tmp.js';

/** Bound on one decoded member in these tests. */
const LIMIT = 1 << 20;

const ONE_MIB_ZEROS_SHA256 = createHash('sha256')
  .update(Buffer.alloc(1 << 20))
  .digest('hex');

/** Run data through the strict decoder, split into chunks of `chunk` bytes. */
async function strict(data: Buffer, chunk = 65536): Promise<{ out: Buffer; sizes: number[] }> {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunk) parts.push(data.subarray(i, i + chunk));
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(parts),
    createStrictDecoder(),
    new Writable({
      write(c: Buffer, _e, cb) {
        out.push(c);
        cb();
      },
    }),
  );
  return { out: Buffer.concat(out), sizes: out.map((b) => b.length) };
}

async function strictError(data: Buffer, chunk = 65536): Promise<string> {
  return strict(data, chunk).then(
    () => 'no error',
    (err: Error) => err.message,
  );
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const zstd = (input: Buffer, args: string[] = []): Buffer => execFileSync('zstd', ['-c', '-q', ...args], { input });
const xz = (input: Buffer, args: string[] = []): Buffer => execFileSync('xz', ['-c', ...args], { input });

describe('sniffCompression (SPEC 2.8)', () => {
  it.each([
    ['1f8b', 'gzip'],
    ['1f', 'none'],
    ['fd377a585a00', 'xz'],
    ['fd377a585a', 'none'],
    ['28b52ffd00', 'zstd'],
    ['28b52ffd', 'none'],
    ['5a2a4d1800', 'zstd'],
    ['5f2a4d1800', 'zstd'],
    ['602a4d1800', 'none'],
    ['303730373031', 'none'],
    ['', 'none'],
  ])('%s → %s', (hex, kind) => {
    expect(sniffCompression(Buffer.from(hex, 'hex'))).toBe(kind);
  });
});

describe('strict streaming decoder', () => {
  it.each(['1M.gz', '1M.xz', '1M.zst'])('%s decodes to 1 MiB of zeros', async (name) => {
    const { out } = await strict(readFileSync(fixture('verify', name)));
    expect(sha256(out)).toBe(ONE_MIB_ZEROS_SHA256);
  });

  it.each(['1M.gz', '1M.xz', '1M.zst'])('%s fed one byte at a time', async (name) => {
    const { out } = await strict(readFileSync(fixture('verify', name)), 1);
    expect(sha256(out)).toBe(ONE_MIB_ZEROS_SHA256);
  });

  it('passes uncompressed data through unchanged, also short inputs', async () => {
    const data = Buffer.from('070701 plain data, not compressed at all');
    expect((await strict(data, 3)).out).toEqual(data);
    expect((await strict(Buffer.from('1f'))).out).toEqual(Buffer.from('1f'));
    expect((await strict(Buffer.alloc(0))).out).toEqual(Buffer.alloc(0));
  });

  it.each(['1M.gz', '1M.xz', '1M.zst'])('%s followed by one byte: trailing data', async (name) => {
    const data = Buffer.concat([readFileSync(fixture('verify', name)), Buffer.alloc(1)]);
    expect(await strictError(data)).toBe('found trailing data after compressed stream');
    expect(await strictError(data, 1)).toBe('found trailing data after compressed stream');
  });

  it('a second gzip member or xz stream is trailing data', async () => {
    const gz = gzipSync(Buffer.from('a'));
    expect(await strictError(Buffer.concat([gz, gz]))).toBe('found trailing data after compressed stream');
    const x = await xzCompress(Buffer.from('a'));
    expect(await strictError(Buffer.concat([x, x]))).toBe('found trailing data after compressed stream');
  });

  it.each(['1M.gz', '1M.xz', '1M.zst'])('%s truncated fails', async (name) => {
    const data = readFileSync(fixture('verify', name));
    for (const cut of [1, 4, 9, Math.floor(data.length / 2)]) {
      expect(await strictError(data.subarray(0, data.length - cut))).not.toBe('no error');
    }
  });

  it('a corrupted gzip trailer fails', async () => {
    const gz = gzipSync(Buffer.from('hello world'));
    gz.writeUInt8(gz.readUInt8(gz.length - 8) ^ 1, gz.length - 8);
    expect(await strictError(gz)).toBe('gzip: invalid checksum');
  });

  it('gzip headers with FEXTRA, FNAME, FCOMMENT and FHCRC', async () => {
    const body = gzipSync(Buffer.from('payload'));
    const header = Buffer.from([0x1f, 0x8b, 8, 0x04 | 0x08 | 0x10 | 0x02, 0, 0, 0, 0, 0, 3]);
    const data = Buffer.concat([header, Buffer.from([3, 0, 1, 2, 3]), Buffer.from('name\0comment\0'), Buffer.alloc(2), body.subarray(10)]);
    expect((await strict(data, 2)).out.toString()).toBe('payload');
    expect((await decodeMember(data, 0, LIMIT)).decoded.toString()).toBe('payload');
  });

  it.skipIf(needs({ tools: ['zstd', 'xz'] }))('zstd: several frames and a skippable frame decode as one member', async () => {
    const skippable = Buffer.concat([Buffer.from('502a4d18', 'hex'), Buffer.from([4, 0, 0, 0]), Buffer.from('skip')]);
    const data = Buffer.concat([zstd(Buffer.from('one ')), skippable, zstd(Buffer.from('two'), ['--check'])]);
    expect((await strict(data, 1)).out.toString()).toBe('one two');
    expect(await strictError(Buffer.concat([data, Buffer.from('xyz')]))).toBe('found trailing data after compressed stream');
  });

  it.skipIf(needs({ tools: ['xz'] }))('64 MiB: output in chunks of at most 1 MiB, multi-block and CRC64 xz', async () => {
    const big = Buffer.alloc(64 << 20);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32LE(i, i);
    for (const data of [xz(big, ['-0', '--block-size=10MiB']), zstd(big), gzipSync(big)]) {
      const { out, sizes } = await strict(data);
      expect(out.length).toBe(big.length);
      expect(sha256(out)).toBe(sha256(big));
      expect(Math.max(...sizes)).toBeLessThanOrEqual(1 << 20);
    }
  });
});

describe('decodeMember (concatenated mode)', () => {
  it('reports the bytes consumed and leaves what follows', async () => {
    const gz = gzipSync(Buffer.from('first'));
    const x = await xzCompress(Buffer.from('second'));
    const data = Buffer.concat([Buffer.from('pre'), gz, x, Buffer.from('rest')]);
    const a = await decodeMember(data, 3, LIMIT);
    expect(a).toMatchObject({ kind: 'gzip', consumed: gz.length });
    expect(a.decoded.toString()).toBe('first');
    const b = await decodeMember(data, 3 + gz.length, LIMIT);
    expect(b).toMatchObject({ kind: 'xz', consumed: x.length });
    expect(b.decoded.toString()).toBe('second');
  });

  it.skipIf(needs({ tools: ['zstd'] }))('zstd frames stop where no frame magic follows', async () => {
    const z = Buffer.concat([zstd(Buffer.from('a')), zstd(Buffer.from('b'))]);
    const m = await decodeMember(Buffer.concat([z, Buffer.from('0707')]), 0, LIMIT);
    expect(m.consumed).toBe(z.length);
    expect(m.decoded.toString()).toBe('ab');
  });
});

/**
 * A zstd frame of RLE blocks (128 KiB of 'A' from 4 bytes each, no content
 * size in the header) that decodes to `gib` GiB: a decompression bomb.
 */
function zstdRleBomb(gib: number): Buffer {
  const blocks = (gib * 2 ** 30) / 2 ** 17;
  const frame = Buffer.alloc(6 + blocks * 4);
  frame.writeUInt32LE(0xfd2fb528, 0);
  frame[4] = 0x00; // no content size, not single-segment: a window descriptor follows
  frame[5] = 7 << 3; // window 2^(10+7) = 128 KiB
  for (let b = 0; b < blocks; b++) {
    const last = b === blocks - 1 ? 1 : 0;
    const header = 2 ** 17 * 8 + (1 << 1) + last; // size << 3 | RLE << 1 | last
    frame.writeUIntLE(header, 6 + b * 4, 3);
    frame[6 + b * 4 + 3] = 0x41;
  }
  return frame;
}

describe('decodeMember bounds what one member decodes to (FINDINGS 9)', () => {
  it('a zstd member claiming 8 GiB fails at the bound, before decoding the rest', async () => {
    const bomb = zstdRleBomb(8);
    expect(bomb.length).toBeLessThan(300 << 10);
    const err = await decodeMember(bomb, 0, 256 << 20).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DecodedTooLargeError);
    expect((err as Error).message).toBe(`compressed data decodes to more than ${256 << 20} bytes`);
  });

  it('the same member within its bound decodes whole', async () => {
    const small = zstdRleBomb(1 / 64); // 16 MiB
    const m = await decodeMember(small, 0, 16 << 20);
    expect(m.decoded.length).toBe(16 << 20);
    expect(m.decoded.every((b) => b === 0x41)).toBe(true);
    await expect(decodeMember(small, 0, (16 << 20) - 1)).rejects.toThrow(DecodedTooLargeError);
  });

  it.skipIf(needs({ tools: ['xz', 'zstd'] }))('every codec stops at the bound', async () => {
    const data = Buffer.alloc(8 << 20, 0x5a);
    for (const member of [gzipSync(data), xz(data, ['-0', '--block-size=1MiB']), xz(data, ['-0']), zstd(data)]) {
      await expect(decodeMember(member, 0, LIMIT)).rejects.toThrow(`compressed data decodes to more than ${LIMIT} bytes`);
      expect((await decodeMember(member, 0, data.length)).decoded.equals(data)).toBe(true);
    }
  });
});

describe('the bundled module under plain Node (ESM/CJS interop of the codecs)', () => {
  // Bundled alone with the options of dist/main.js, inside the checkout so the
  // external native packages resolve from node_modules as they do for dist/.
  let bundle = '';
  beforeAll(async () => {
    const dir = mkdtempSync(join(ROOT, 'dist', '.test-decompress-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const { esmOptions, workerEntries } = (await import(pathToFileURL(join(ROOT, 'scripts', 'build.mjs')).href)) as {
      esmOptions(entries: { in: string; out: string }[], outdir: string): object;
      workerEntries(): { in: string; out: string }[];
    };
    const esbuild = await import('esbuild');
    // With the worker scripts beside it, as in dist/ (zstd decodes on a worker).
    const entries = [{ in: join(ROOT, 'src', 'io', 'strict-decoder.ts'), out: 'strict-decoder' }, ...workerEntries()];
    await esbuild.build(esmOptions(entries, dir));
    bundle = join(dir, 'strict-decoder.mjs');
  });

  it.each(['1M.gz', '1M.xz', '1M.zst'])('bundled strict decoder decodes %s', (name) => {
    const script = `
      import { createReadStream } from 'node:fs';
      import { createHash } from 'node:crypto';
      import { pipeline } from 'node:stream/promises';
      const { createStrictDecoder } = await import(${JSON.stringify('BUNDLE')});
      const h = createHash('sha256');
      await pipeline(createReadStream(process.argv[1]), createStrictDecoder(), async function* (src) { for await (const c of src) h.update(c); });
      process.stdout.write(h.digest('hex'));`.replace('"BUNDLE"', JSON.stringify(pathToFileURL(bundle).href));
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script, fixture('verify', name)]).toString();
    expect(out).toBe(ONE_MIB_ZEROS_SHA256);
  });
});
