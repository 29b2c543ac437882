// Positional file I/O done whole: the one place that loops over short reads
// and writes (Rust's read_exact / write_all at an offset). Every request is cut
// into calls of at most MAX_CALL bytes, so a corrupt length can never reach
// Node's native layer as an out-of-range integer.

import type { FileHandle } from 'node:fs/promises';
import { BUFFER_SIZE } from '../util/constants.js';
import { ShortReadError } from '../util/errors.js';

/** Largest single read()/write() call (well inside an int32). */
const MAX_CALL = 1 << 30;

function checkRange(position: number, length: number): void {
  if (!Number.isSafeInteger(position) || position < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new RangeError(`invalid file range: ${length} bytes at offset ${position}`);
  }
}

/** Fill `buf` from `position` until it is full or EOF; returns the bytes read. */
export async function readFullyAt(handle: FileHandle, buf: Uint8Array, position: number): Promise<number> {
  checkRange(position, buf.length);
  let done = 0;
  while (done < buf.length) {
    const want = Math.min(buf.length - done, MAX_CALL);
    const { bytesRead } = await handle.read(buf, done, want, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/** Read exactly `length` bytes at `position`; EOF first is a ShortReadError. */
export async function readExactAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  checkRange(position, length);
  const buf = Buffer.alloc(length);
  if ((await readFullyAt(handle, buf, position)) < length) throw new ShortReadError();
  return buf;
}

/** Write all of `data` at `position`; a write that makes no progress is an error (write_all's WriteZero). */
export async function writeFully(handle: FileHandle, data: Uint8Array, position: number): Promise<void> {
  checkRange(position, data.length);
  let done = 0;
  while (done < data.length) {
    const want = Math.min(data.length - done, MAX_CALL);
    const { bytesWritten } = await handle.write(data, done, want, position + done);
    if (bytesWritten === 0) throw new Error('failed to write whole buffer');
    done += bytesWritten;
  }
}

/**
 * Copy `length` bytes from `src` at `srcOffset` to `dest` at `destOffset`
 * (`length` undefined: until EOF). A source shorter than `length` is a
 * ShortReadError. Returns the bytes copied.
 */
export async function copyRange(
  src: FileHandle,
  srcOffset: number,
  length: number | undefined,
  dest: FileHandle,
  destOffset: number,
): Promise<number> {
  checkRange(srcOffset, length ?? 0);
  checkRange(destOffset, 0);
  const buf = Buffer.allocUnsafe(length === undefined ? BUFFER_SIZE : Math.max(1, Math.min(BUFFER_SIZE, length)));
  let done = 0;
  while (length === undefined || done < length) {
    const want = length === undefined ? buf.length : Math.min(buf.length, length - done);
    const got = await readFullyAt(src, buf.subarray(0, want), srcOffset + done);
    if (got > 0) await writeFully(dest, buf.subarray(0, got), destOffset + done);
    done += got;
    if (got < want) {
      if (length !== undefined) throw new ShortReadError();
      break;
    }
  }
  return done;
}
