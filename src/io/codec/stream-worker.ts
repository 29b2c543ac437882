// Worker thread of offthread.ts: decodes one member's bytes as they come, so
// that decoding runs beside the main thread's hashing and writing.
//
// Input arrives in buffers (the main thread's copies, transferred) and goes
// back empty once decoded; output goes out a 1 MiB buffer at a time, each as
// soon as it is full, into empty buffers the main thread gives back once it
// has passed one on. With no empty buffer the worker waits: it never runs
// further ahead of the disk than the buffers it was given.
//
// Bundling note: like xz-worker.ts, a separate entry point
// (scripts/build.mjs workerEntries(); worker-script.ts finds it).

import { parentPort, workerData } from 'node:worker_threads';
import type { CodecStep } from './member-decoder.js';
import { workerStarted } from './worker-started.js';
import { openZstdStep } from './zstd.js';

/** The codecs that decode off the main thread (by name, in workerData.codec). */
export type StreamCodec = 'zstd';

/** Main thread to worker. */
export type StreamRequest =
  | { kind: 'input'; buffer: ArrayBuffer; length: number }
  | { kind: 'spare'; buffers: ArrayBuffer[] }
  | { kind: 'end' }
  | 'close';

/** Worker to main thread, in order; nothing follows `ended` or `failed`. */
export type StreamMessage =
  | { kind: 'piece'; buffer: ArrayBuffer; length: number }
  | { kind: 'used'; buffer: ArrayBuffer }
  | { kind: 'ended' }
  | { kind: 'failed'; message: string };

const openers: Record<StreamCodec, () => Promise<CodecStep>> = { zstd: openZstdStep };

type Work = Extract<StreamRequest, { kind: 'input' | 'end' }>;

const queue: Work[] = [];
const spare: ArrayBuffer[] = [];
let closing = false;
let wake: (() => void) | undefined;

class Closed extends Error {}

/** Wait for the next message from the main thread. */
async function next(): Promise<void> {
  if (closing) throw new Closed();
  await new Promise<void>((resolve) => (wake = resolve));
  if (closing) throw new Closed();
}

async function emptyBuffer(): Promise<Buffer> {
  for (;;) {
    const ab = spare.pop();
    if (ab !== undefined) return Buffer.from(ab);
    await next();
  }
}

async function run(codec: CodecStep, post: (m: StreamMessage, transfer?: ArrayBuffer[]) => void): Promise<void> {
  let out = await emptyBuffer();
  let outOff = 0;
  const send = (): void => {
    const buffer = out.buffer as ArrayBuffer;
    post({ kind: 'piece', buffer, length: outOff }, [buffer]);
  };
  for (;;) {
    let work = queue.shift();
    while (work === undefined) {
      await next();
      work = queue.shift();
    }
    if (work.kind === 'end') {
      if (outOff > 0) send();
      post({ kind: 'ended' });
      return;
    }
    let src = Buffer.from(work.buffer, 0, work.length);
    for (;;) {
      const r = codec(src, out, outOff);
      outOff += r.produced;
      src = src.subarray(r.consumed);
      if (outOff === out.length) {
        // Output space ran out: the codec may hold more, even for no new input.
        send();
        out = await emptyBuffer();
        outOff = 0;
        continue;
      }
      if (src.length === 0) break;
      if (r.produced === 0 && r.consumed === 0) throw new Error('decoder made no progress');
    }
    post({ kind: 'used', buffer: work.buffer }, [work.buffer]);
  }
}

const port = parentPort;
if (port !== null) {
  const post = (m: StreamMessage, transfer?: ArrayBuffer[]): void => {
    if (!closing) port.postMessage(m, transfer);
  };
  port.on('message', (request: StreamRequest) => {
    if (request === 'close') {
      // Ending here, never by terminate(): the codec may be in a native call.
      closing = true;
      port.close();
    } else if (request.kind === 'spare') {
      spare.push(...request.buffers);
    } else {
      queue.push(request);
    }
    const w = wake;
    wake = undefined;
    w?.();
  });
  const codec = (workerData as { codec: StreamCodec }).codec;
  openers[codec]()
    .finally(workerStarted)
    .then((step) => run(step, post))
    .catch((err: unknown) => {
      if (!(err instanceof Closed)) post({ kind: 'failed', message: (err as Error).message });
    });
}
