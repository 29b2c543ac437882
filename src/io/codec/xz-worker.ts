// Worker thread of parallel-xz.ts: decodes whole xz blocks, one job at a time.
//
// A job is the stream header (12 bytes) and one block (header, compressed
// data, padding, check); its output goes back a 1 MiB buffer at a time. liblzma's stream decoder reads the header, then the
// block; it checks the block header's CRC32, the sizes the header states and
// the block's check (CRC32/CRC64/SHA-256) as the last input byte goes in.
// With all input consumed and no error, the block is complete and verified;
// the index is the main thread's to verify.
//
// Bundling note: this file is a separate entry point (scripts/build.mjs
// workerEntries(): dist/xz-worker.mjs beside the chunks, and an asset of the
// standalone executable); worker-script.ts finds it. Do not inline it.

import { parentPort } from 'node:worker_threads';
import { workerStarted } from './worker-started.js';
import { openXzCodec, preloadXz, type XzCodec } from './xz.js';

export interface XzJob {
  id: number;
  /** Offset of the block in the stream, for messages. */
  offset: number;
  streamHeader: Uint8Array;
  /** The block's bytes are block[0, blockLength); the buffer comes back in the `done` message. */
  block: ArrayBuffer;
  blockLength: number;
  /** Uncompressed size from the block header, or -1 when it does not state one. */
  size: number;
}

/** Main thread to worker: a job, empty 1 MiB output buffers, or the end. */
export type XzRequest = XzJob | { kind: 'spare'; buffers: ArrayBuffer[] } | 'close';

/**
 * Worker to main thread, in order: each output buffer as it fills (`piece`),
 * then `done` once the whole block was decoded and verified, or failed.
 */
export type XzMessage =
  | { id: number; kind: 'piece'; buffer: ArrayBuffer; length: number }
  | { id: number; kind: 'done'; ok: true; block: ArrayBuffer }
  | { id: number; kind: 'done'; ok: false; message: string; block: ArrayBuffer };

/**
 * Output goes back in separate 1 MiB buffers (DECOMPRESS_CHUNK_SIZE, from the
 * main thread's chunk pool), each as soon as it is full: the main thread
 * writes the oldest block's while it is still decoding, and gives back one
 * empty buffer for each it receives, so a block never sits whole in memory;
 * one waiting for an older one holds at most half of itself (parallel-xz.ts).
 */
const spare: ArrayBuffer[] = [];
let closing = false;
let spareArrived: (() => void) | undefined;

/**
 * An empty buffer to decode into: the main thread's flow control. It gives
 * one back for each piece, at once or, for a block waiting behind an older
 * one, as that block is written; until then this worker waits.
 */
async function piece(): Promise<Buffer> {
  for (;;) {
    if (closing) throw new Error('closed');
    const ab = spare.pop();
    if (ab !== undefined) return Buffer.from(ab);
    await new Promise<void>((resolve) => (spareArrived = resolve));
  }
}

function wake(): void {
  spareArrived?.();
  spareArrived = undefined;
}

/** Let queued messages (spare buffers, close) in between two pieces. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function decode(codec: XzCodec, job: XzJob, post: (buffer: ArrayBuffer, length: number) => void): Promise<void> {
  const header = Buffer.from(job.streamHeader);
  const block = Buffer.from(job.block, 0, job.blockLength);
  let total = 0;
  let out = await piece();
  let outOff = 0;
  const run = async (input: Buffer): Promise<void> => {
    let inOff = 0;
    for (;;) {
      if (outOff === out.length) {
        post(out.buffer as ArrayBuffer, outOff);
        total += outOff;
        await turn();
        out = await piece();
        outOff = 0;
      }
      const inLen = input.length - inOff;
      const space = out.length - outOff;
      const [status, inAfter, outAfter] = codec.handle.codeSync(codec.run, input, inOff, inLen, out, outOff);
      if (status !== codec.ok) {
        throw status === codec.streamEnd ? new Error('xz: block followed by the end of the stream') : codec.error(status);
      }
      inOff += inLen - inAfter;
      outOff += space - outAfter;
      if (inAfter === 0 && outAfter > 0) return;
    }
  };
  await run(header);
  await run(block);
  if (outOff > 0) {
    post(out.buffer as ArrayBuffer, outOff);
    total += outOff;
  } else {
    spare.push(out.buffer as ArrayBuffer);
  }
  if (job.size >= 0 && total !== job.size) throw new Error('Data is corrupt');
}

const port = parentPort;
if (port !== null) {
  // liblzma loads while the first block is still being read.
  void preloadXz().finally(workerStarted);
  port.on('message', (request: XzRequest) => {
    // Ending here, never by terminate(): liblzma may be in a native call, and a
    // thread terminated there takes the whole process down (napi_throw).
    if (request === 'close') {
      closing = true;
      wake();
      port.close();
      return;
    }
    if ('kind' in request) {
      spare.push(...request.buffers);
      wake();
      return;
    }
    const job = request;
    void (async () => {
      let done: XzMessage;
      const codec = await openXzCodec();
      try {
        await decode(codec, job, (buffer, length) => {
          const message: XzMessage = { id: job.id, kind: 'piece', buffer, length };
          port.postMessage(message, [buffer]);
        });
        done = { id: job.id, kind: 'done', ok: true, block: job.block };
      } catch (err) {
        done = { id: job.id, kind: 'done', ok: false, message: (err as Error).message, block: job.block };
      } finally {
        // Freed before answering: the main thread may terminate us as soon as it has the last block.
        codec.handle.close();
      }
      if (!closing) port.postMessage(done, [job.block]);
    })();
  });
}
