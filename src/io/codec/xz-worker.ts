// Worker thread of parallel-xz.ts: decodes whole xz blocks, one job at a time.
//
// A job is the stream header (12 bytes) and one block (header, compressed
// data, padding, check). liblzma's stream decoder reads the header, then the
// block; it checks the block header's CRC32, the sizes the header states and
// the block's check (CRC32/CRC64/SHA-256) as the last input byte goes in.
// With all input consumed and no error, the block is complete and verified;
// the index is the main thread's to verify.
//
// Bundling note (for whoever bundles the CLI into one file): this file is a
// separate entry point, loaded by parallel-xz.ts with
// new URL('./xz-worker.js', import.meta.url) (and two fallbacks, see
// workerUrl() there). Emit it as its own output file next to the bundle, or
// keep the tsc layout (dist/io/codec/xz-worker.js); do not inline it.

import { parentPort } from 'node:worker_threads';
import { DECOMPRESS_CHUNK_SIZE } from '../../util/constants.js';
import { openXzCodec, type XzCodec } from './xz.js';

export interface XzJob {
  id: number;
  /** Offset of the block in the stream, for messages. */
  offset: number;
  streamHeader: Uint8Array;
  /** The block's bytes are block[0, blockLength); the buffer comes back with the result. */
  block: ArrayBuffer;
  blockLength: number;
  /** Empty 1 MiB output buffers from the main thread's pool, used first. */
  pieces: ArrayBuffer[];
  /** Uncompressed size from the block header, or -1 when it does not state one. */
  size: number;
}

export type XzResult =
  | { id: number; ok: true; buffers: ArrayBuffer[]; lengths: number[]; block: ArrayBuffer }
  | { id: number; ok: false; message: string; block: ArrayBuffer };

/**
 * Output comes in separate 1 MiB buffers: the main thread emits them one by
 * one and each is freed once written, rather than a whole block staying
 * alive until its last MiB is written.
 */
const PIECE = DECOMPRESS_CHUNK_SIZE;

function decode(codec: XzCodec, job: XzJob): { buffers: ArrayBuffer[]; lengths: number[] } {
  const header = Buffer.from(job.streamHeader);
  const block = Buffer.from(job.block, 0, job.blockLength);
  const buffers: ArrayBuffer[] = [];
  const lengths: number[] = [];
  const spare = job.pieces;
  const piece = (): Buffer => {
    const ab = spare.pop();
    return ab !== undefined ? Buffer.from(ab) : Buffer.allocUnsafeSlow(PIECE);
  };
  let out = piece();
  let outOff = 0;
  const run = (input: Buffer): void => {
    let inOff = 0;
    for (;;) {
      if (outOff === out.length) {
        buffers.push(out.buffer as ArrayBuffer);
        lengths.push(outOff);
        out = piece();
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
  run(header);
  run(block);
  buffers.push(out.buffer as ArrayBuffer);
  lengths.push(outOff);
  const total = lengths.reduce((a, b) => a + b, 0);
  if (job.size >= 0 && total !== job.size) throw new Error('Data is corrupt');
  return { buffers, lengths };
}

const port = parentPort;
if (port !== null) {
  port.on('message', (job: XzJob | 'close') => {
    // Ending here, never by terminate(): liblzma may be in a native call, and a
    // thread terminated there takes the whole process down (napi_throw).
    if (job === 'close') {
      port.close();
      return;
    }
    void (async () => {
      let result: XzResult;
      let transfer: ArrayBuffer[];
      const codec = await openXzCodec();
      try {
        const { buffers, lengths } = decode(codec, job);
        result = { id: job.id, ok: true, buffers, lengths, block: job.block };
        transfer = [...buffers, job.block];
      } catch (err) {
        result = { id: job.id, ok: false, message: (err as Error).message, block: job.block };
        transfer = [job.block];
      }
      // Freed before answering: the main thread may terminate us as soon as it has the last block.
      codec.handle.close();
      port.postMessage(result, transfer);
    })();
  });
}
