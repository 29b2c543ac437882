// Recycled 1 MiB output buffers for the strict decoder. A 3 GiB image is
// 3072 of them; allocating each afresh cost ~0.6 s of garbage collection on
// the main thread, which is also the thread that decodes. The decoder takes
// buffers here, and the image sink gives one back once it has been written
// and nothing else holds it. Buffers never given back are simply collected.

import { DECOMPRESS_CHUNK_SIZE } from '../util/constants.js';

/**
 * Free buffers kept. The parallel xz decoder can have a whole block (24 MiB
 * for `xz -T -6`) waiting for an older one, besides the buffers its workers
 * are filling and those being written; a pool that holds its whole working
 * set never allocates past it, where one of 32 dropped buffers to the garbage
 * collector and allocated afresh in turn. Buffers beyond this are collected.
 */
const MAX_FREE = 96;
const free: ArrayBuffer[] = [];
const ours = new WeakSet<ArrayBufferLike>();

/** A DECOMPRESS_CHUNK_SIZE buffer, recycled when one is free. */
export function takeChunk(): Buffer {
  const recycled = free.pop();
  if (recycled !== undefined) return Buffer.from(recycled, 0, DECOMPRESS_CHUNK_SIZE);
  const buf = Buffer.allocUnsafeSlow(DECOMPRESS_CHUNK_SIZE);
  ours.add(buf.buffer);
  return buf;
}

/**
 * Take back a takeChunk() buffer that went to a worker thread and came back
 * (a transfer gives a new ArrayBuffer object over the same memory).
 */
export function adoptChunk(ab: ArrayBuffer): Buffer {
  if (ab.byteLength === DECOMPRESS_CHUNK_SIZE) ours.add(ab);
  return Buffer.from(ab, 0, ab.byteLength);
}

/**
 * Give back the buffer behind `view` (a takeChunk() buffer or a view of one).
 * The caller promises that no other reference to its bytes is still in use.
 * Other buffers are ignored.
 */
export function releaseChunk(view: Buffer): void {
  const ab = view.buffer;
  if (!ours.has(ab) || free.length >= MAX_FREE || free.includes(ab as ArrayBuffer)) return;
  free.push(ab as ArrayBuffer);
}
