// O_DIRECT writes to a block device (issue 14), as `dd oflag=direct` does.
//
// A buffered write copies every byte into the device's page cache; on this
// machine kind that copy (copy_folio_from_iter) was the largest single cost
// of an xz install after liblzma itself, paid on a CPU the decoder workers
// need. With O_DIRECT the device reads our buffer. The image sink copies the
// decoded bytes into a few staging buffers that stay hot in the CPU cache and
// writes those, whole aligned blocks at aligned offsets.
//
// O_DIRECT needs the buffer's memory aligned (the device's DMA alignment), and
// JavaScript cannot see an address: the staging buffers are cut from one
// allocation a page larger than they need, at an offset into it that a direct
// read of one block accepts. When no offset is accepted, or the device refuses
// O_DIRECT, the caller writes through the page cache as before.

import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { hasErrorCode } from '../util/errors.js';

const PAGE = 4096;
/**
 * Offsets tried, from PAGE - PROBE_STEP down: malloc aligns to at least 16
 * bytes, and glibc's big (mmap'd) blocks start 16 bytes into a page, so the
 * first offset tried is usually page-aligned and accepted. Probing upwards
 * took 31 reads per buffer on a loop device (512-byte alignment), 3-10 ms.
 */
const PROBE_STEP = 16;

export interface DirectTarget {
  readonly handle: FileHandle;
  /** Writes are whole multiples of this, at multiples of it. */
  readonly unit: number;
  /** Aligned staging buffers, each `unit`-multiple long. */
  readonly buffers: Buffer[];
}

/** An aligned `size`-byte view into a new buffer, or undefined if no offset is accepted. */
async function alignedBuffer(handle: FileHandle, size: number, unit: number): Promise<Buffer | undefined> {
  const raw = Buffer.allocUnsafeSlow(size + PAGE);
  for (let offset = PAGE - PROBE_STEP; offset >= 0; offset -= PROBE_STEP) {
    try {
      await handle.read(raw, offset, unit, 0);
      return raw.subarray(offset, offset + size);
    } catch (err) {
      if (!hasErrorCode(err, 'EINVAL')) return undefined;
    }
  }
  return undefined;
}

/**
 * A second handle on `path` with O_DIRECT and `count` aligned staging buffers
 * of `size` bytes (a multiple of `unit`, itself a multiple of the logical
 * sector size), or undefined where direct I/O is not available.
 */
export async function openDirect(path: string, unit: number, size: number, count: number): Promise<DirectTarget | undefined> {
  if (size % unit !== 0) throw new RangeError(`staging size ${size} is not a multiple of ${unit}`);
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDWR | constants.O_DIRECT);
  } catch {
    return undefined;
  }
  // One aligned allocation: `size` is a multiple of `unit`, so each slice of it starts aligned too.
  const all = await alignedBuffer(handle, size * count, unit);
  if (all === undefined) {
    await handle.close();
    return undefined;
  }
  const buffers = Array.from({ length: count }, (_, i) => all.subarray(i * size, (i + 1) * size));
  return { handle, unit, buffers };
}
