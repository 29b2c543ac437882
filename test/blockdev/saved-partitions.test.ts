// SPEC 3.5.2-3.5.4 on the shared disk fixtures and synthetic tables.
import { execFileSync } from 'node:child_process';
import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { bufferReader, makeEntry, newGpt, readGpt, serializeGpt, type Gpt } from '../../src/blockdev/gpt.js';
import { SavedPartitions } from '../../src/blockdev/saved-partitions.js';
import { parsePartitionFilters } from '../../src/blockdev/partition-filter.js';
import { errorChain } from '../../src/util/errors.js';
import { fixture, tmpDir } from '../helpers/tmp.js';

const dir = tmpDir();
const load = (name: string): Buffer => execFileSync('xz', ['-dc', fixture('disk', name)], { maxBuffer: 64 << 20 });
const TYPE = Buffer.from('af3dc60f838472478e793d69d8477de4', 'hex');
const filters = (labels: string[], indexes: string[] = []) => parsePartitionFilters(labels, indexes);

function disk(length: number, parts: [number, number, number, string][], sector = 512, guidBase = 0): Buffer {
  const buf = Buffer.alloc(length);
  const gpt = newGpt(sector, length);
  gpt.entries = parts.map(([i, a, b, name]) =>
    makeEntry(i, { typeGuid: TYPE, uniqueGuid: Buffer.alloc(16, guidBase + i), firstLba: a, lastLba: b, name }),
  );
  for (const w of serializeGpt(gpt)) w.data.copy(buf, w.offset);
  return buf;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('selecting partitions', () => {
  it('saves nothing without filters or on an empty disk', async () => {
    expect((await SavedPartitions.fromDisk(bufferReader(load('gpt-512.xz')), 512, [], { isBlockDevice: true })).isEmpty).toBe(true);
    expect((await SavedPartitions.fromDisk(bufferReader(load('empty.xz')), 512, filters(['*']), { isBlockDevice: true })).isEmpty).toBe(
      true,
    );
  });

  it('keeps matching entries and computes the limit', async () => {
    const saved = await SavedPartitions.fromDisk(bufferReader(load('gpt-512.xz')), 512, filters(['Linux*']), { isBlockDevice: true });
    expect(saved.entries.map((e) => e.index)).toEqual([1]);
    expect(saved.limit).toEqual({ bytes: 2048 * 512, describe: 'partition 1 ("Linux filesystem")' });
    const byIndex = await SavedPartitions.fromDisk(bufferReader(load('gpt-4096.xz')), 4096, filters([], ['1-']), { isBlockDevice: true });
    expect(byIndex.limit?.bytes).toBe(256 * 4096);
  });

  it('refuses a GPT of the other sector size', async () => {
    await expect(SavedPartitions.fromDisk(bufferReader(load('gpt-4096.xz')), 512, filters(['*']), { isBlockDevice: true })).rejects.toThrow(
      "GPT sector size 4096 doesn't match expected 512",
    );
  });

  it('refuses index filters on an MBR disk, allows label filters', async () => {
    const mbr = Buffer.alloc(1 << 20);
    mbr[510] = 0x55;
    mbr[511] = 0xaa;
    await expect(SavedPartitions.fromDisk(bufferReader(mbr), 512, filters([], ['1']), { isBlockDevice: true })).rejects.toThrow(
      'saving partitions from an MBR disk is not yet supported',
    );
    expect((await SavedPartitions.fromDisk(bufferReader(mbr), 512, filters(['x']), { isBlockDevice: true })).isEmpty).toBe(true);
  });

  it('fails the dry run on duplicate partition GUIDs (fixture)', async () => {
    const err = await SavedPartitions.fromDisk(bufferReader(load('gpt-512-duplicate-partition-guids.xz')), 512, filters(['*']), {
      isBlockDevice: true,
    }).catch((e: unknown) => e);
    expect(errorChain(err)).toEqual([
      'failed dry run restoring saved partitions; input partition table may be invalid',
      'writing new GPT',
      'conflict of partition GUIDs',
    ]);
  });
});

describe('overwrite and merge', () => {
  it('overwrite keeps saved entries at their index with a new disk GUID', async () => {
    const path = join(dir, 'over.img');
    const before = disk(8 << 20, [
      [1, 2048, 4095, 'a'],
      [3, 8192, 10000, 'keep'],
    ]);
    await writeFile(path, before);
    const saved = await SavedPartitions.fromDisk(bufferReader(before), 512, filters(['keep']), { isBlockDevice: false });
    const h = await open(path, 'r+');
    await saved.overwrite(h, 8 << 20);
    await h.close();
    const after = (await readGpt(bufferReader(await readFile(path)))) as Gpt;
    expect(after.entries.map((e) => [e.index, e.name, e.firstLba])).toEqual([[3, 'keep', 8192]]);
    expect(after.header.diskGuid.equals(((await readGpt(bufferReader(before))) as Gpt).header.diskGuid)).toBe(false);
  });

  it('merge renumbers as SPEC 3.5.4 (image 1,2,4; saved 4,5,7-11)', async () => {
    const length = 64 << 20;
    const dest = disk(length, [
      [4, 40000, 40999, 'd4'],
      [5, 41000, 41999, 'd5'],
      [7, 42000, 42999, 'd7'],
      [8, 43000, 43999, 'd8'],
      [9, 44000, 44999, 'd9'],
      [10, 45000, 45999, 'd10'],
      [11, 46000, 46999, 'd11'],
    ]);
    const saved = await SavedPartitions.fromDisk(bufferReader(dest), 512, filters([], ['4-']), { isBlockDevice: true });
    const image = disk(
      16 << 20,
      [
        [1, 2048, 4095, 'i1'],
        [2, 4096, 8191, 'i2'],
        [4, 8192, 16383, 'i4'],
      ],
      512,
      100,
    );
    image.write('BOOTCODE', 0, 'latin1');
    const firstMiB = image.subarray(0, 1 << 20);
    const path = join(dir, 'merge.img');
    await writeFile(path, Buffer.alloc(length));
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
      lines.push(String(s));
      return true;
    });
    const h = await open(path, 'r+');
    await saved.commitMerged(h, firstMiB, length);
    await h.close();
    vi.restoreAllMocks();
    expect(lines.join('')).toBe(
      ['4→5', '5→6', '7→7', '8→8', '9→9', '10→10', '11→11']
        .map((m) => {
          const [from, to] = m.split('→');
          return `Saving partition ${from} ("d${from}") to new partition ${to}\n`;
        })
        .join(''),
    );
    const out = await readFile(path);
    expect(out.subarray(0, 8).toString('latin1')).toBe('BOOTCODE');
    const merged = (await readGpt(bufferReader(out))) as Gpt;
    expect(merged.header.backupLba).toBe(length / 512 - 1);
    expect(merged.entries.map((e) => [e.index, e.name])).toEqual([
      [1, 'i1'],
      [2, 'i2'],
      [4, 'i4'],
      [5, 'd4'],
      [6, 'd5'],
      [7, 'd7'],
      [8, 'd8'],
      [9, 'd9'],
      [10, 'd10'],
      [11, 'd11'],
    ]);
    expect(out.subarray(34 * 512, 1 << 20).equals(firstMiB.subarray(34 * 512))).toBe(true);
  });
});
