// io/file-io.ts: whole positional reads and writes, and copies between files.
import { open, readFile, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyRange, readExactAt, readFullyAt, writeFully } from '../../src/io/file-io.js';
import { tmpDir } from '../helpers/tmp.js';

/** A handle whose calls move at most `step` bytes (0: writes make no progress). */
function stingyHandle(inner: FileHandle, step: number): FileHandle {
  return {
    read: (buf: Uint8Array, off: number, len: number, pos: number) => inner.read(buf, off, Math.min(len, Math.max(step, 1)), pos),
    write: async (buf: Uint8Array, off: number, len: number, pos: number) =>
      step === 0 ? { bytesWritten: 0, buffer: buf } : inner.write(buf, off, Math.min(len, step), pos),
  } as unknown as FileHandle;
}

describe('file-io', () => {
  it('reads exactly through short reads, and EOF first is "failed to fill whole buffer"', async () => {
    const dir = tmpDir();
    const path = join(dir, 'f');
    const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
    await writeFile(path, data);
    const h = await open(path, 'r');
    try {
      const stingy = stingyHandle(h, 7);
      expect(await readExactAt(stingy, 10, 900)).toEqual(data.subarray(10, 910));
      await expect(readExactAt(stingy, 900, 101)).rejects.toThrow('failed to fill whole buffer');
      const buf = Buffer.alloc(200);
      expect(await readFullyAt(stingy, buf, 900)).toBe(100);
      await expect(readExactAt(h, 0, 2 ** 53)).rejects.toThrow(RangeError);
      await expect(readExactAt(h, -1, 1)).rejects.toThrow(RangeError);
    } finally {
      await h.close();
    }
  });

  it('writes whole buffers through short writes and fails on a zero-byte write', async () => {
    const dir = tmpDir();
    const path = join(dir, 'w');
    await writeFile(path, Buffer.alloc(0));
    const h = await open(path, 'r+');
    try {
      const data = Buffer.from('0123456789'.repeat(50));
      await writeFully(stingyHandle(h, 3), data, 5);
      expect((await readFile(path)).subarray(5)).toEqual(data);
      await expect(writeFully(stingyHandle(h, 0), data, 0)).rejects.toThrow('failed to write whole buffer');
    } finally {
      await h.close();
    }
  });

  it('copies a range or up to EOF, and a short source is an error', async () => {
    const dir = tmpDir();
    const src = join(dir, 's');
    const dst = join(dir, 'd');
    const data = Buffer.alloc(600 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) % 256;
    await writeFile(src, data);
    await writeFile(dst, Buffer.alloc(0));
    const s = await open(src, 'r');
    const d = await open(dst, 'r+');
    try {
      expect(await copyRange(s, 100, 300 * 1024, d, 4)).toBe(300 * 1024);
      expect((await readFile(dst)).subarray(4)).toEqual(data.subarray(100, 100 + 300 * 1024));
      await d.truncate(0);
      expect(await copyRange(s, 0, undefined, d, 0)).toBe(data.length);
      expect(await readFile(dst)).toEqual(data);
      await expect(copyRange(s, data.length - 10, 11, d, 0)).rejects.toThrow('failed to fill whole buffer');
    } finally {
      await s.close();
      await d.close();
    }
  });
});
