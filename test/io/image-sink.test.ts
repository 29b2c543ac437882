import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { ImageSink } from '../../src/io/image-sink.js';
import { ZERO_HOLD_BACK } from '../../src/io/write-image.js';
import { WRITEBACK_INTERVAL } from '../../src/util/constants.js';
import { errorChain } from '../../src/util/errors.js';

const MiB = 1 << 20;

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A destination that records writes and datasyncs: a write takes one event-loop turn, a datasync `syncTurns`. */
function fakeDest(syncTurns: number, failSync = false) {
  const events: string[] = [];
  let written = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const dest = {
    async write(buf: Buffer, off: number, len: number, pos: number) {
      await tick();
      if (pos >= MiB) written = Math.max(written, pos + len);
      return { bytesWritten: len, buffer: buf };
    },
    async datasync() {
      events.push(`sync at ${written / MiB}`);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      for (let i = 0; i < syncTurns; i++) await tick();
      inFlight--;
      if (failSync) throw Object.assign(new Error('Input/output error'), { code: 'EIO' });
      events.push('synced');
    },
  };
  return { dest: dest as unknown as FileHandle, events, maxInFlight: () => maxInFlight };
}

const chunks = (mib: number): Readable => {
  const chunk = Buffer.alloc(MiB);
  return Readable.from((function* () {
    for (let i = 0; i < mib; i++) yield chunk;
  })());
};

describe('ImageSink writeback', () => {
  it('starts a datasync every WRITEBACK_INTERVAL, one at a time, and waits for the last', async () => {
    const interval = WRITEBACK_INTERVAL / MiB;
    const { dest, events, maxInFlight } = fakeDest(1);
    await pipeline(chunks(3 * interval + 10), new ImageSink(dest, { holdBack: ZERO_HOLD_BACK }));
    const starts = events.filter((e) => e.startsWith('sync at'));
    expect(starts).toEqual([1, 2, 3].map((n) => `sync at ${n * interval + 1}`));
    expect(maxInFlight()).toBe(1);
    expect(events.at(-1)).toBe('synced');
  });

  it('a slow datasync is not stacked: the next starts only after it ended', async () => {
    const interval = WRITEBACK_INTERVAL / MiB;
    const { dest, events, maxInFlight } = fakeDest(2 * WRITEBACK_INTERVAL / MiB);
    await pipeline(chunks(5 * interval), new ImageSink(dest, { holdBack: ZERO_HOLD_BACK }));
    expect(maxInFlight()).toBe(1);
    // The first, started at 65 MiB, lasts longer than two intervals' worth of writes; the next starts after it.
    const starts = events.filter((e) => e.startsWith('sync at')).map((e) => Number(e.slice(8)));
    expect(starts[0]).toBe(interval + 1);
    expect(starts.length).toBe(2);
    expect(starts[1]).toBeGreaterThanOrEqual(3 * interval + 1);
    expect(events.filter((e) => e === 'synced').length).toBe(events.filter((e) => e.startsWith('sync at')).length);
  });

  it('a failed datasync fails the write', async () => {
    const { dest } = fakeDest(1, true);
    const err = await pipeline(chunks(WRITEBACK_INTERVAL / MiB + 8), new ImageSink(dest, { holdBack: ZERO_HOLD_BACK })).catch(
      (e: unknown) => e,
    );
    expect(errorChain(err)).toEqual(['syncing data to disk', 'Input/output error']);
  });
});
