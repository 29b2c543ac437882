// A read-only FileHandle over a Buffer, for feeding damaged or mutated bytes
// to the parsers that read through a FileHandle (IsoFs) without a file:
// the robustness findings (test/robust) and the fuzz targets (test/fuzz).

import type { FileHandle } from 'node:fs/promises';

/** A read-only FileHandle over `data` (read and stat: all IsoFs uses of one). */
export function bufferHandle(data: Buffer): FileHandle {
  return {
    async read(buf: Uint8Array, off: number, len: number, pos: number) {
      const n = Math.max(0, Math.min(len, data.length - pos));
      if (n > 0) data.copy(buf, off, pos, pos + n);
      return { bytesRead: n, buffer: buf };
    },
    async stat() {
      return { size: data.length };
    },
  } as unknown as FileHandle;
}
