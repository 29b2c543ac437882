// zstd decoded on a worker thread (codec/offthread.ts + stream-worker.ts)
// against the same codec on this thread (codec/zstd.ts): byte-identical
// output, the same errors, the same member bounds, and a worker that never
// runs ahead of a reader that stalls. Install through it: the standalone
// executable's zstd test (test/exe/standalone.test.ts).

import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { MemberDecoder } from '../../src/io/codec/member-decoder.js';
import { openOffThreadDecoder } from '../../src/io/codec/offthread.js';
import { openZstdDecoder, zstdFramer } from '../../src/io/codec/zstd.js';
import type { StreamMessage, StreamRequest } from '../../src/io/codec/stream-worker.js';
import { workerScript } from '../../src/io/codec/worker-script.js';
import { ZSTD_OFF_THREAD_MIN, openMemberDecoder } from '../../src/io/codecs.js';
import { ZSTD_EOF } from '../../src/io/compression.js';
import { needs } from '../helpers/env.js';
import { ROOT } from '../helpers/tmp.js';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const zstd = (input: Buffer, args: string[] = []): Buffer => execFileSync('zstd', ['-c', '-q', ...args], { input, maxBuffer: 1 << 28 });

/** Binaries, text, random bytes and zeros: about 9 MiB. */
function realistic(): Buffer {
  const binary = readFileSync(process.execPath);
  const text = Buffer.from(readFileSync(join(ROOT, 'README.md'), 'utf8').repeat(60));
  return Buffer.concat([binary.subarray(0, 4 << 20), text.subarray(0, 2 << 20), randomBytes(1 << 20), Buffer.alloc(2 << 20)]);
}

interface Run {
  out: Buffer;
  trailing: number;
  error: string | undefined;
}

/** Feed `data` in `chunk`-byte pieces to a decoder; collect what it emits and how it ends. */
async function drive(open: (out: { emit(b: Buffer): Promise<void> }) => Promise<MemberDecoder>, data: Buffer, chunk: number): Promise<Run> {
  const out: Buffer[] = [];
  const decoder = await open({ emit: async (b) => void out.push(Buffer.from(b)) });
  let trailing = 0;
  let error: string | undefined;
  try {
    for (let i = 0; i < data.length && !decoder.done; i += chunk) trailing += await decoder.write(data.subarray(i, i + chunk));
    if (!decoder.done) trailing += await decoder.end();
  } catch (err) {
    error = (err as Error).message;
  } finally {
    decoder.close();
  }
  return { out: Buffer.concat(out), trailing, error };
}

const offThread = (data: Buffer, chunk = 65536): Promise<Run> =>
  drive(async (out) => openOffThreadDecoder('zstd', zstdFramer(), ZSTD_EOF, out), data, chunk);
const onThread = (data: Buffer, chunk = 65536): Promise<Run> => drive((out) => openZstdDecoder(out), data, chunk);

describe.skipIf(needs({ tools: ['zstd'] }))('zstd on a worker thread', () => {
  it('decodes byte for byte as on this thread: frames, a skippable frame, checksums, any input split', async () => {
    const a = realistic();
    const b = realistic();
    const skippable = Buffer.concat([Buffer.from('5a2a4d18', 'hex'), Buffer.from([3, 0, 0, 0]), Buffer.from('abc')]);
    const data = Buffer.concat([zstd(a, ['-3']), skippable, zstd(b, ['-1', '--check'])]);
    const expected = sha256(Buffer.concat([a, b]));
    for (const chunk of [65536, 3 << 20, 1000003]) {
      const r = await offThread(data, chunk);
      expect(r.error).toBeUndefined();
      expect(r.trailing).toBe(0);
      expect(sha256(r.out)).toBe(expected);
    }
    const tiny = Buffer.concat([zstd(Buffer.from('one ')), skippable, zstd(Buffer.from('two'))]);
    expect((await offThread(tiny, 1)).out.toString()).toBe('one two');
  });

  it('a corrupt block fails with the codec message of this thread, after the output before it', async () => {
    const plain = realistic();
    const data = zstd(plain, ['-3', '--check']);
    const bad = Buffer.from(data);
    const at = Math.floor(bad.length * 0.6);
    for (let i = at; i < at + 64; i++) bad[i] = (bad[i] ?? 0) ^ 0x5a;
    const here = await onThread(bad);
    const there = await offThread(bad);
    expect(here.error).toBeDefined();
    expect(there.error).toBe(here.error);
    expect(plain.subarray(0, there.out.length).equals(there.out)).toBe(true);
  });

  it('a truncated frame is premature EOF; bytes after the last frame are trailing', async () => {
    const data = zstd(realistic(), ['-3']);
    expect((await offThread(data.subarray(0, data.length - 5))).error).toBe(ZSTD_EOF);
    expect((await offThread(data.subarray(0, 100))).error).toBe(ZSTD_EOF);
    const extra = Buffer.concat([data, Buffer.from('xyz')]);
    expect((await offThread(extra)).trailing).toBe(3);
    expect((await onThread(extra)).trailing).toBe(3);
  });

  it('never runs further ahead of a stalled reader than its few buffers', async () => {
    // 64 MiB of output from ~23 MiB of input; the reader takes one chunk and then stops.
    const plain = Buffer.concat(Array.from({ length: 8 }, () => realistic().subarray(0, 8 << 20)));
    const data = zstd(plain, ['-1']);
    let emitted = 0;
    const decoder = openOffThreadDecoder('zstd', zstdFramer(), ZSTD_EOF, {
      emit: (b) => {
        emitted += b.length;
        return emitted > b.length ? new Promise<void>(() => {}) : Promise.resolve();
      },
    });
    let accepted = 0;
    const feeding = (async () => {
      for (let i = 0; i < data.length; i += 65536) {
        await decoder.write(data.subarray(i, i + 65536));
        accepted = i + 65536;
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    decoder.close();
    void feeding.catch(() => {});
    expect(emitted).toBeLessThanOrEqual(2 << 20);
    // Four 1 MiB inputs out with the worker and one staged, at most.
    expect(accepted).toBeLessThan(6 << 20);
    expect(data.length).toBeGreaterThan(16 << 20);
  });

  it('the worker decodes into the empty buffers it is given, and waits for more', async () => {
    const data = zstd(realistic(), ['-1']);
    const [script, options] = workerScript('stream-worker');
    const worker = new Worker(script, { ...options, workerData: { codec: 'zstd' } });
    const pieces: number[] = [];
    let used = 0;
    worker.on('message', (m: StreamMessage) => {
      if (m.kind === 'piece') pieces.push(m.length);
      if (m.kind === 'used') used++;
    });
    const spare = [new ArrayBuffer(1 << 20), new ArrayBuffer(1 << 20)];
    const send = (request: StreamRequest, transfer: ArrayBuffer[] = []): void => worker.postMessage(request, transfer);
    try {
      send({ kind: 'spare', buffers: spare }, spare);
      const input = data.buffer.slice(data.byteOffset, data.byteOffset + data.length) as ArrayBuffer;
      send({ kind: 'input', buffer: input, length: data.length }, [input]);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(pieces).toEqual([1 << 20, 1 << 20]);
      expect(used).toBe(0);
      const more = [new ArrayBuffer(1 << 20)];
      send({ kind: 'spare', buffers: more }, more);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(pieces).toEqual([1 << 20, 1 << 20, 1 << 20]);
    } finally {
      send('close');
    }
  });

  it('openMemberDecoder puts zstd on a worker only when it may be big', async () => {
    const kind = async (lengthHint: number | undefined, parallel = true): Promise<string> => {
      const opts = parallel ? { parallel: lengthHint === undefined ? {} : { lengthHint } } : { parallel: false as const };
      const d = await openMemberDecoder('zstd', { emit: async () => {} }, opts);
      d.close();
      return d.constructor.name;
    };
    expect(await kind(undefined)).toBe('OffThreadDecoder');
    expect(await kind(ZSTD_OFF_THREAD_MIN)).toBe('OffThreadDecoder');
    expect(await kind(ZSTD_OFF_THREAD_MIN - 1)).toBe('ZstdDecoder');
    expect(await kind(undefined, false)).toBe('ZstdDecoder');
  });
});
