import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { xzCompress } from '../../src/io/codecs.js';
import { createStrictDecoder } from '../../src/io/strict-decoder.js';
import { ImageSink } from '../../src/io/image-sink.js';
import { ZERO_HOLD_BACK } from '../../src/io/write-image.js';
import { WRITEBACK_INTERVAL } from '../../src/util/constants.js';
import { errorChain } from '../../src/util/errors.js';
import { tmpDir } from '../helpers/tmp.js';

const MiB = 1 << 20;
const INTERVAL = WRITEBACK_INTERVAL / MiB;
const dir = tmpDir();
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A destination that records its writes and datasyncs. A write takes one
 * event-loop turn. A datasync ends once `syncLength` more MiB were written,
 * or when the source has ended (`sourceEnded()`), or at once if 0.
 */
function fakeDest(syncLength: number, failSync = false) {
  const events: string[] = [];
  const writes: Array<[number, number]> = [];
  let written = 0;
  let writing = 0;
  let maxWriting = 0;
  let syncing = 0;
  let maxSyncing = 0;
  let waiting: { until: number; resolve: () => void } | undefined;
  let ended = false;
  const wake = (force: boolean) => {
    if (force) ended = true;
    if (waiting && (ended || written >= waiting.until)) {
      waiting.resolve();
      waiting = undefined;
    }
  };
  const dest = {
    async write(buf: Buffer, off: number, len: number, pos: number) {
      writing++;
      maxWriting = Math.max(maxWriting, writing);
      await tick();
      writing--;
      writes.push([pos, len]);
      if (pos >= MiB) written += len;
      wake(false);
      return { bytesWritten: len, buffer: buf };
    },
    async datasync() {
      events.push(`sync at ${written / MiB}`);
      syncing++;
      maxSyncing = Math.max(maxSyncing, syncing);
      if (syncLength > 0 && !ended) await new Promise<void>((resolve) => (waiting = { until: written + syncLength * MiB, resolve }));
      else await tick();
      syncing--;
      if (failSync) throw Object.assign(new Error('Input/output error'), { code: 'EIO' });
      events.push('synced');
    },
  };
  return {
    dest: dest as unknown as FileHandle,
    events,
    writes,
    sourceEnded: () => wake(true),
    maxWriting: () => maxWriting,
    maxSyncing: () => maxSyncing,
  };
}

function chunks(mib: number, onEnd: () => void = () => undefined): Readable {
  const chunk = Buffer.alloc(MiB);
  return Readable.from(
    (function* () {
      for (let i = 0; i < mib; i++) yield chunk;
      onEnd();
    })(),
  );
}

const starts = (events: string[]): number[] => events.filter((e) => e.startsWith('sync at')).map((e) => Number(e.slice(8)));

describe('ImageSink', () => {
  it('queues the next write while one runs, and the writes tile the image after the first MiB', async () => {
    const fake = fakeDest(0);
    await pipeline(chunks(40), new ImageSink(fake.dest, { holdBack: ZERO_HOLD_BACK }));
    expect(fake.maxWriting()).toBeGreaterThanOrEqual(2);
    expect(fake.maxWriting()).toBeLessThanOrEqual(3);
    const sorted = [...fake.writes].sort((a, b) => a[0] - b[0]);
    expect(sorted[0]).toEqual([0, MiB]); // the hold-back placeholder
    let next = MiB;
    for (const [pos, len] of sorted.slice(1)) {
      expect(pos).toBe(next);
      next += len;
    }
    expect(next).toBe(40 * MiB);
  });

  it('starts a datasync every WRITEBACK_INTERVAL, one at a time, and waits for the last', async () => {
    const fake = fakeDest(0);
    await pipeline(chunks(3 * INTERVAL + 10), new ImageSink(fake.dest, { holdBack: ZERO_HOLD_BACK }));
    expect(starts(fake.events)).toEqual([1, 2, 3].map((n) => n * INTERVAL));
    expect(fake.maxSyncing()).toBe(1);
    expect(fake.events.at(-1)).toBe('synced');
  });

  it('a datasync still running holds the next one back until it ended', async () => {
    const fake = fakeDest(2 * INTERVAL);
    await pipeline(
      chunks(5 * INTERVAL, () => fake.sourceEnded()),
      new ImageSink(fake.dest, { holdBack: ZERO_HOLD_BACK }),
    );
    const s = starts(fake.events);
    expect(fake.maxSyncing()).toBe(1);
    expect(s[0]).toBe(INTERVAL);
    expect(s[1]).toBeGreaterThanOrEqual(3 * INTERVAL);
    expect(fake.events.at(-1)).toBe('synced');
  });

  it('a failed datasync fails the write', async () => {
    const { dest } = fakeDest(0, true);
    const err = await pipeline(chunks(INTERVAL + 8), new ImageSink(dest, { holdBack: ZERO_HOLD_BACK })).catch((e: unknown) => e);
    expect(errorChain(err)).toEqual(['syncing data to disk', 'Input/output error']);
  });

  it('a failed write fails the pipeline, after the writes in flight have ended', async () => {
    let inFlight = 0;
    let n = 0;
    const dest = {
      async write(buf: Buffer, _off: number, len: number) {
        inFlight++;
        await tick();
        inFlight--;
        if (++n === 5) throw Object.assign(new Error('No space left on device'), { code: 'ENOSPC' });
        return { bytesWritten: len, buffer: buf };
      },
      async datasync() {},
    } as unknown as FileHandle;
    const err = await pipeline(chunks(30), new ImageSink(dest, { holdBack: ZERO_HOLD_BACK })).catch((e: unknown) => e);
    expect(errorChain(err)).toEqual(['No space left on device']);
    expect(inFlight).toBe(0);
  });

  it('decoded chunks recycled after their write never corrupt the image (real file, xz)', async () => {
    // 40 MiB, each MiB different, so a buffer reused too early would show.
    const data = Buffer.alloc(40 * MiB);
    for (let i = 0; i < data.length; i += 4096) data.writeUInt32LE((i * 2654435761) >>> 0, i);
    const src = join(dir, 'img.xz');
    writeFileSync(src, await xzCompress(data));
    const out = join(dir, 'out.img');
    const dest = await open(out, 'w+');
    try {
      await pipeline(createReadStream(src), createStrictDecoder(), new ImageSink(dest, { holdBack: ZERO_HOLD_BACK }));
    } finally {
      await dest.close();
    }
    const got = readFileSync(out);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect(sha(got.subarray(MiB))).toBe(sha(data.subarray(MiB)));
  });
});

describe('ImageSink with a DirectTarget', () => {
  const UNIT = 4096;
  /** An image of `length` bytes, every 4 KiB unit different, arriving in chunks of odd sizes. */
  function image(length: number): { data: Buffer; stream: () => Readable } {
    const data = Buffer.alloc(length);
    for (let i = 0; i + 4 <= length; i += 1000) data.writeUInt32LE((i * 2654435761) >>> 0, i);
    const sizes = [MiB, 777, 300_000, 3 * MiB + 5, 65_536];
    return {
      data,
      stream: () =>
        Readable.from(
          (function* () {
            for (let off = 0, i = 0; off < length; i++) {
              const n = Math.min(sizes[i % sizes.length] as number, length - off);
              yield Buffer.from(data.subarray(off, off + n));
              off += n;
            }
          })(),
        ),
    };
  }

  /** The direct handle is a second handle on the same file, recording its writes; `refuse` makes the first one fail with EINVAL. */
  async function run(length: number, refuse = false) {
    const { data, stream } = image(length);
    const path = join(dir, `direct-${length}-${refuse}.img`);
    const dest = await open(path, 'w+');
    const second = await open(path, 'r+');
    const directWrites: Array<[number, number]> = [];
    const bufferedWrites: Array<[number, number]> = [];
    let refused = false;
    const handle = {
      async write(buf: Buffer, off: number, len: number, pos: number) {
        if (refuse && !refused) {
          refused = true;
          throw Object.assign(new Error('Invalid argument'), { code: 'EINVAL' });
        }
        directWrites.push([pos, len]);
        return second.write(buf, off, len, pos);
      },
    } as unknown as FileHandle;
    const destSpy = new Proxy(dest, {
      get(target, prop) {
        if (prop === 'write') {
          return (buf: Buffer, off: number, len: number, pos: number) => {
            bufferedWrites.push([pos, len]);
            return target.write(buf, off, len, pos);
          };
        }
        const v = Reflect.get(target, prop);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const buffers = [0, 1, 2].map(() => Buffer.alloc(MiB));
    try {
      await pipeline(stream(), new ImageSink(destSpy, { holdBack: ZERO_HOLD_BACK, direct: { handle, unit: UNIT, buffers } }));
    } finally {
      await second.close();
      await dest.close();
    }
    const got = readFileSync(path);
    return { data, got, directWrites, bufferedWrites };
  }

  it('writes whole units through the staging buffers and the short tail through the page cache, byte for byte', async () => {
    const length = 13 * MiB + 3 * UNIT + 123;
    const { data, got, directWrites, bufferedWrites } = await run(length);
    expect(got.subarray(MiB).equals(data.subarray(MiB))).toBe(true);
    for (const [pos, len] of directWrites) {
      expect(pos % UNIT).toBe(0);
      expect(len % UNIT).toBe(0);
    }
    expect(directWrites.reduce((a, [, len]) => a + len, 0)).toBe(length - MiB - 123);
    // The placeholder, the commit of the first MiB, and the 123-byte tail.
    expect(bufferedWrites.filter(([pos]) => pos >= MiB)).toEqual([[length - 123, 123]]);
  });

  it('goes on through the page cache, with the same bytes, when the device refuses a direct write', async () => {
    const length = 6 * MiB + UNIT;
    const { data, got, directWrites } = await run(length, true);
    expect(got.subarray(MiB).equals(data.subarray(MiB))).toBe(true);
    expect(directWrites).toEqual([]);
  });

  it('refuses a DirectTarget with fewer staging buffers than writes in flight plus one', () => {
    const direct = { handle: {} as FileHandle, unit: UNIT, buffers: [Buffer.alloc(UNIT), Buffer.alloc(UNIT)] };
    expect(() => new ImageSink({} as FileHandle, { holdBack: ZERO_HOLD_BACK, direct })).toThrow('needs 3 staging buffers');
  });
});
