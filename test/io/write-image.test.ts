import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTrustedKeys, type TrustedKeys } from '../../src/io/keys.js';
import { writeImage, type HoldBack, type WriteImageOptions } from '../../src/io/write-image.js';
import type { ImageSource } from '../../src/source/location.js';
import { InterruptedError, errorChain } from '../../src/util/errors.js';
import { needs } from '../helpers/env.js';
import { makeGpgKey, type GpgKey } from '../helpers/gpg.js';
import { fixture, tmpDir } from '../helpers/tmp.js';

const MiB = 1 << 20;
const dir = tmpDir();
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
let keys: TrustedKeys;
let key: GpgKey;
const skip = needs({ tools: ['gpg'] });

beforeAll(async () => {
  if (skip) return;
  key = makeGpgKey(dir);
  keys = await loadTrustedKeys([key.publicKeyFile, fixture('verify', 'test-key.pub.asc')]);
});
afterAll(() => key?.close());

let counter = 0;
/** A signed file of `data`; returns a fresh source over it. */
function signed(data: Buffer, extra: Partial<ImageSource> = {}, chunk = 64 * 1024): ImageSource {
  const file = join(dir, `img-${counter++}`);
  writeFileSync(file, data);
  const signature = readFileSync(key.sign(file));
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunk) chunks.push(data.subarray(i, i + chunk));
  return { stream: Readable.from(chunks), lengthHint: data.length, signature, filename: 'img', artifactType: 'disk', ...extra };
}

async function run(
  source: ImageSource,
  opts: Partial<WriteImageOptions> = {},
): Promise<{ out: Buffer; error?: unknown; progress: string[] }> {
  const path = join(dir, `out-${counter++}`);
  const dest: FileHandle = await open(path, 'w+');
  const progress: string[] = [];
  let error: unknown;
  try {
    await writeImage(source, dest, { decompress: false, keys, progressOutput: { write: (t) => progress.push(t), isTTY: false }, ...opts });
  } catch (e) {
    error = e;
  } finally {
    await dest.close();
  }
  return { out: readFileSync(path), error, progress };
}

describe.skipIf(skip)('writeImage (SPEC 2.9)', () => {
  it('copies a signed image of several MiB exactly, with progress', async () => {
    const data = randomBytes(3 * MiB + 4321);
    const { out, error, progress } = await run(signed(data));
    expect(error).toBeUndefined();
    expect(sha(out)).toBe(sha(data));
    expect(progress.at(-1)).toBe('Read disk 3.0 MiB/3.0 MiB (100%)\n');
  });

  it('images under 1 MiB work (E5), and an empty one', async () => {
    for (const size of [1000, MiB - 1, MiB, MiB + 1, 0]) {
      const data = randomBytes(size);
      const { out, error } = await run(signed(data));
      expect(error).toBeUndefined();
      expect(out.equals(data)).toBe(true);
    }
  });

  it('holds the first MiB back until every check passed (E4)', async () => {
    const data = randomBytes(2 * MiB);
    const events: string[] = [];
    const holdBack: HoldBack = {
      async placeholder(dest, first) {
        events.push(`placeholder ${first.length}`);
        await dest.write(Buffer.alloc(first.length), 0, first.length, 0);
      },
      async commit(dest, first) {
        const { size } = await dest.stat();
        events.push(`commit ${first.length} after ${size}`);
        await dest.write(first, 0, first.length, 0);
      },
    };
    const { out, error } = await run(signed(data), { holdBack });
    expect(error).toBeUndefined();
    expect(events).toEqual([`placeholder ${MiB}`, `commit ${MiB} after ${2 * MiB}`]);
    expect(out.equals(data)).toBe(true);
  });

  it('the rest of the image is durable before the first MiB is written, and the first MiB after (power cut)', async () => {
    const data = randomBytes(3 * MiB);
    const path = join(dir, `out-${counter++}`);
    const real = await open(path, 'w+');
    // What reached the file, in order: `write <pos>` once a write ended, `sync` once a sync or datasync ended.
    const events: string[] = [];
    const dest = new Proxy(real, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (prop === 'write') {
          return async (buf: Buffer, off: number, len: number, pos: number) => {
            const r = await target.write(buf, off, len, pos);
            events.push(`write ${pos < MiB ? 'head' : 'rest'}`);
            return r;
          };
        }
        if (prop === 'sync' || prop === 'datasync') {
          return async () => {
            await target[prop]();
            events.push('sync');
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    try {
      await writeImage(signed(data), dest, { decompress: false, keys, progressOutput: { write: () => undefined, isTTY: false } });
    } finally {
      await real.close();
    }
    expect(readFileSync(path).equals(data)).toBe(true);
    const commit = events.lastIndexOf('write head');
    const lastRest = events.lastIndexOf('write rest');
    // The placeholder went first; the image's own first MiB is the last write of all.
    expect(events.indexOf('write head')).toBe(0);
    expect(commit).toBeGreaterThan(lastRest);
    expect(events.slice(lastRest + 1, commit), events.join(', ')).toContain('sync');
    expect(events.slice(commit + 1), events.join(', ')).toContain('sync');
  });

  it('a tampered image fails and its first MiB stays zeros', async () => {
    const data = randomBytes(2 * MiB);
    const source = signed(data);
    const bad = Buffer.from(data);
    bad.writeUInt8(bad.readUInt8(MiB + 5) ^ 1, MiB + 5);
    source.stream = Readable.from([bad]);
    const { out, error } = await run(source);
    expect(errorChain(error)).toEqual(['GPG verification failure', 'Signed digest did not match']);
    expect(out.subarray(0, MiB).equals(Buffer.alloc(MiB))).toBe(true);
  });

  it('a signature by an untrusted key fails before anything is written', async () => {
    const data = randomBytes(1000);
    const { out, error } = await run(signed(data), { keys: await loadTrustedKeys([]) });
    expect(errorChain(error)[0]).toBe('GPG verification failure');
    expect(out.length).toBe(0);
  });

  it('checks the stream sha256 of the stored bytes (E3)', async () => {
    const data = randomBytes(MiB + 10);
    expect((await run(signed(data, { sha256: sha(data) }))).error).toBeUndefined();
    const { out, error } = await run(signed(data, { sha256: sha(Buffer.from('other')) }));
    expect(errorChain(error)).toEqual([
      'sha256 verification failure',
      `hash mismatch, computed '${sha(data)}' but expected '${sha(Buffer.from('other'))}'`,
    ]);
    expect(out.subarray(0, MiB).equals(Buffer.alloc(MiB))).toBe(true);
  });

  it('uncompressed-sha256 is only checked when decoding', async () => {
    const data = randomBytes(100);
    expect((await run(signed(data, { uncompressedSha256: 'ff' }))).error).toBeUndefined();
  });

  it('a limit: exactly reaching it is fine, passing it is a collision', async () => {
    const data = randomBytes(2 * MiB);
    expect((await run(signed(data), { limit: { bytes: 2 * MiB, describe: 'partition 4 ("data")' } })).error).toBeUndefined();
    expect(errorChain((await run(signed(data), { limit: { bytes: 2 * MiB - 1, describe: 'partition 4 ("data")' } })).error)).toEqual([
      'decoding and writing image',
      `collision with partition 4 ("data") at offset ${2 * MiB - 1}`,
    ]);
    expect(errorChain((await run(signed(data), { limit: { bytes: 1000, describe: 'partition 1 ("x")' } })).error)).toEqual([
      'decoding first MiB of image',
      'collision with partition 1 ("x") at offset 1000',
    ]);
  });

  it('checks the sector size from the GPT header position', async () => {
    const data = Buffer.alloc(2 * MiB);
    data.write('EFI PART', 4096);
    const { error } = await run(signed(data), { expectedSectorSize: 512 });
    expect(errorChain(error)).toEqual(['source has sector size 4096 but destination has sector size 512']);
    expect((await run(signed(data), { expectedSectorSize: 4096 })).error).toBeUndefined();
  });

  it('Ctrl-C aborts with InterruptedError', async () => {
    const controller = new AbortController();
    let sent = 0;
    const stream = new Readable({
      read() {
        sent++;
        if (sent === 20) controller.abort(new InterruptedError());
        this.push(Buffer.alloc(64 * 1024));
      },
    });
    const { error } = await run({ stream, filename: 'x', artifactType: 'disk' }, { signal: controller.signal });
    expect(error).toBeInstanceOf(InterruptedError);
  });

  it('an unsigned source is copied when the caller allowed it', async () => {
    const data = randomBytes(5000);
    const { out, error } = await run({ stream: Readable.from([data]), filename: 'x', artifactType: 'kernel' });
    expect(error).toBeUndefined();
    expect(out.equals(data)).toBe(true);
  });
});

describe('writeImage with decompression and the fixtures (SPEC 7.3)', () => {
  let fixtureKeys: TrustedKeys;
  beforeAll(async () => {
    fixtureKeys = await loadTrustedKeys([fixture('verify', 'test-key.pub.asc')]);
  });

  function fixtureSource(name: string, extra?: Buffer): ImageSource {
    const data = readFileSync(fixture('verify', name));
    return {
      stream: Readable.from([extra ? Buffer.concat([data, extra]) : data]),
      lengthHint: data.length,
      signature: readFileSync(fixture('verify', `${name}.sig`)),
      filename: name,
      artifactType: 'disk',
    };
  }

  it.each(['1M.gz', '1M.xz', '1M.zst'])('%s + signature → 1 MiB of zeros; uncompressed-sha256 checked', async (name) => {
    const zeros = Buffer.alloc(MiB);
    const source = { ...fixtureSource(name), uncompressedSha256: sha(zeros) };
    const { out, error } = await run(source, { decompress: true, keys: fixtureKeys });
    expect(error).toBeUndefined();
    expect(out.equals(zeros)).toBe(true);
    const wrong = { ...fixtureSource(name), uncompressedSha256: sha(Buffer.from('x')) };
    expect(errorChain((await run(wrong, { decompress: true, keys: fixtureKeys })).error)[0]).toBe(
      'uncompressed-sha256 verification failure',
    );
  });

  it.each(['1M.gz', '1M.xz', '1M.zst'])('%s with one extra 00 byte fails', async (name) => {
    const { error } = await run(fixtureSource(name, Buffer.from([0])), { decompress: true, keys: fixtureKeys });
    expect(errorChain(error).join(': ')).toMatch(/trailing|data after/i);
  });
});

describe.skipIf(needs({ tools: ['gpg', 'xz', 'zstd'] }))('a compressed image with trailing garbage commits nothing', () => {
  // The payload is not zeros, so a committed first MiB would show (the
  // placeholder is zeros): a check with an all-zeros payload could not fail.
  // Random, so a committed first MiB would differ from the zero placeholder.
  const payload = randomBytes(4 * MiB);
  const cli = (cmd: string, args: string[]) => async () => execFileSync(cmd, args, { input: payload, maxBuffer: 16 * MiB });
  const compressors: Record<string, () => Promise<Buffer>> = {
    gz: async () => gzipSync(payload, { level: 1 }),
    xz: cli('xz', ['-0', '-c', '--check=crc32']),
    zst: cli('zstd', ['-q', '-1', '-c']),
  };
  it.each(Object.keys(compressors))('.%s', async (ext) => {
    const compressed = Buffer.concat([await (compressors[ext] as () => Promise<Buffer>)(), Buffer.from([0])]);
    const { out, error } = await run(signed(compressed), { decompress: true });
    expect(error).toBeDefined();
    expect(out.length).toBeGreaterThanOrEqual(MiB);
    expect(out.subarray(MiB).equals(payload.subarray(MiB, out.length))).toBe(true);
    // The placeholder stays: the payload's first MiB (not zeros) was never committed.
    expect(out.subarray(0, MiB).equals(Buffer.alloc(MiB))).toBe(true);
  });
});
