// Starting the codec workers (codec/worker-script.ts): the process is held
// up while a worker starts, whatever its owner does with unref() (a worker
// ended while it loads its native codec aborts the process); workers started
// ahead go to the decoder that asks for them, once, and never a dead one.
// The CLI's side: test/cli/install.test.ts (an install refused at once, with
// its decoder threads still starting, exits cleanly).

import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { discardPrestarted, prestartWorkers, startWorker } from '../../src/io/codec/worker-script.js';
import { prestartDecoders } from '../../src/io/codecs.js';

const ports = (): number => process.getActiveResourcesInfo().filter((r) => r === 'MessagePort').length;
const zstd = { workerData: { codec: 'zstd' } };
/** Which workers these are (thread ids: identity, where toEqual would compare objects deeply). */
const ids = (ws: Worker[]): number[] => ws.map((w) => w.threadId);

/** Wait until `check` holds, looking every 5 ms (at most 20 s). */
async function until(check: () => boolean): Promise<void> {
  for (let waited = 0; !check(); waited += 5) {
    if (waited > 20_000) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** End `worker` as the decoders do ('close'), and wait for it to be gone. */
async function close(worker: Worker): Promise<void> {
  const exited = once(worker, 'exit');
  worker.postMessage('close');
  await exited;
}

const started: Worker[] = [];
const track = (ws: Worker[]): Worker[] => {
  started.push(...ws);
  return ws;
};

afterEach(async () => {
  discardPrestarted('xz-worker');
  discardPrestarted('stream-worker');
  await Promise.all(started.splice(0).map((w) => (w.threadId >= 0 ? close(w).catch(() => undefined) : undefined)));
});

describe('codec workers', () => {
  it('hold the process up while they start, even unreferenced, and let go once started', async () => {
    const before = ports();
    const [xzWorker, streamWorker] = track([startWorker('xz-worker'), startWorker('stream-worker', zstd)]) as [Worker, Worker];
    xzWorker.unref();
    streamWorker.unref();
    expect(ports()).toBe(before + 2);
    let exited = false;
    for (const w of [xzWorker, streamWorker]) w.once('exit', () => (exited = true));
    await until(() => ports() === before);
    expect(exited).toBe(false); // let go because they started, not because they ended
  });

  it('started ahead: handed to startWorker() with the same options, each once', async () => {
    const ahead = track(prestartWorkers('xz-worker', 2));
    expect(ahead).toHaveLength(2);
    expect(ids(prestartWorkers('xz-worker', 2))).toEqual(ids(ahead)); // topped up to 2, not 2 more
    const zstdAhead = track(prestartWorkers('stream-worker', 1, zstd));
    const taken = track([startWorker('xz-worker'), startWorker('xz-worker'), startWorker('xz-worker')]);
    expect(ids(taken.slice(0, 2))).toEqual(ids(ahead));
    expect(ids(ahead)).not.toContain((taken[2] as Worker).threadId);
    // Other options (workerData) are another worker.
    const other = track([startWorker('stream-worker', { workerData: { codec: 'zstd', other: 1 } })]);
    expect(ids(other)).not.toEqual(ids(zstdAhead));
    expect(ids(track([startWorker('stream-worker', zstd)]))).toEqual(ids(zstdAhead));
  });

  it('a worker started ahead that died is not handed out', async () => {
    const dying = { resourceLimits: { maxOldGenerationSizeMb: 1, maxYoungGenerationSizeMb: 1, codeRangeSizeMb: 1 } };
    const [dead] = prestartWorkers('xz-worker', 1, dying) as [Worker];
    await new Promise((resolve) => dead.once('exit', resolve)); // its 'error' went to prestartWorkers
    const fresh = startWorker('xz-worker', dying);
    expect(fresh).not.toBe(dead);
    // The same limits kill it too, and its owner hears of it.
    const [err] = (await once(fresh, 'error')) as [Error];
    expect(err.message).toMatch(/memory limit/);
  });

  it('discardPrestarted ends the workers nobody took', async () => {
    const ahead = prestartWorkers('xz-worker', 2);
    const exits = ahead.map((w) => once(w, 'exit'));
    discardPrestarted('xz-worker');
    await Promise.all(exits);
    const fresh = track([startWorker('xz-worker')]);
    expect(ahead).not.toContain(fresh[0]); // toContain compares by identity
  });

  it('prestartDecoders: by the image name, the xz workers or the zstd one, else none', () => {
    expect(track(prestartDecoders('/images/nestos-metal.x86_64.raw.xz')).length).toBeGreaterThanOrEqual(1);
    expect(track(prestartDecoders('nestos.raw.zst'))).toHaveLength(1);
    expect(prestartDecoders('nestos.raw.gz')).toEqual([]);
    expect(prestartDecoders('nestos.raw')).toEqual([]);
  });
});
