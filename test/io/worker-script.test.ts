// Starting the codec workers (codec/worker-script.ts): the process is held
// up while a worker starts, whatever its owner does with unref() (a worker
// ended while it loads its native codec aborts the process).

import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { startWorker } from '../../src/io/codec/worker-script.js';

const ports = (): number => process.getActiveResourcesInfo().filter((r) => r === 'MessagePort').length;
const zstd = { workerData: { codec: 'zstd' } };

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
});
