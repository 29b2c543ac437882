import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bufferReader, makeEntry, newGpt, protectiveMbr, readGpt, resizeGpt, serializeGpt, type Gpt } from '../../src/blockdev/gpt.js';
import { hasTool } from '../helpers/env.js';
import { fixture, tmpDir } from '../helpers/tmp.js';

function load(name: string): Buffer {
  return execFileSync('xz', ['-dc', fixture('disk', name)], { maxBuffer: 64 << 20 });
}

function apply(buf: Buffer, gpt: Gpt): void {
  for (const w of serializeGpt(gpt)) w.data.copy(buf, w.offset);
}

const LINUX = Buffer.from('af3dc60f838472478e793d69d8477de4', 'hex');

describe('GPT reading (SPEC 3.5.1, 7.4)', () => {
  it('reads the 512-byte fixture', async () => {
    const gpt = await readGpt(bufferReader(load('gpt-512.xz')));
    expect(gpt?.sectorSize).toBe(512);
    expect(gpt?.header).toMatchObject({ backupLba: 20479, firstUsableLba: 34, lastUsableLba: 20446, entryLba: 2 });
    expect(gpt?.entries.map((e) => [e.index, e.firstLba, e.lastLba, e.name])).toEqual([[1, 2048, 20446, 'Linux filesystem']]);
  });

  it('reads the 4096-byte fixture', async () => {
    const gpt = await readGpt(bufferReader(load('gpt-4096.xz')));
    expect(gpt?.sectorSize).toBe(4096);
    expect(gpt?.header).toMatchObject({ backupLba: 2559, firstUsableLba: 6, lastUsableLba: 2554 });
    expect(gpt?.entries.map((e) => [e.firstLba, e.lastLba])).toEqual([[256, 2554]]);
  });

  it('finds no GPT on the empty fixture', async () => {
    expect(await readGpt(bufferReader(load('empty.xz')))).toBeUndefined();
  });

  it('falls back to the backup header and reports two bad headers', async () => {
    const img = load('gpt-512.xz');
    img.write('XXXX', 512 + 8, 'latin1');
    expect((await readGpt(bufferReader(img)))?.entries).toHaveLength(1);
    img.write('XXXX', 20479 * 512 + 8, 'latin1');
    await expect(readGpt(bufferReader(img))).rejects.toThrow(
      /^could not read primary header \(invalid revision\) nor backup header \(invalid revision\)$/,
    );
  });

  it('detects a corrupted entry array', async () => {
    const img = load('gpt-512.xz');
    img[1024 + 60] = 0x41;
    await expect(readGpt(bufferReader(img))).rejects.toThrow(/corrupted partition entry array CRC32 checksum/);
  });
});

describe('GPT writing', () => {
  for (const [name, sector] of [
    ['gpt-512.xz', 512],
    ['gpt-4096.xz', 4096],
  ] as const) {
    it(`round-trips ${name} and grows it to a bigger disk`, async () => {
      const img = load(name);
      const gpt = (await readGpt(bufferReader(img))) as Gpt;
      const again = Buffer.alloc(img.length);
      apply(again, gpt);
      const reread = (await readGpt(bufferReader(again))) as Gpt;
      expect(reread.header).toEqual(gpt.header);
      expect(reread.entries.map((e) => e.raw)).toEqual(gpt.entries.map((e) => e.raw));
      const big = Buffer.alloc(img.length * 2);
      const grown = resizeGpt(gpt, big.length);
      grown.entries = [
        ...gpt.entries,
        makeEntry(3, {
          typeGuid: LINUX,
          uniqueGuid: Buffer.alloc(16, 7),
          firstLba: gpt.header.lastUsableLba + 1,
          lastLba: gpt.header.lastUsableLba + 10,
          name: 'saved',
        }),
      ];
      apply(big, grown);
      const g = (await readGpt(bufferReader(big))) as Gpt;
      expect(g.sectorSize).toBe(sector);
      expect(g.header.backupLba).toBe(big.length / sector - 1);
      expect(g.entries.map((e) => [e.index, e.name])).toEqual([
        [1, gpt.entries[0]?.name],
        [3, 'saved'],
      ]);
      // The backup alone is valid too.
      big.fill(0, sector, 2 * sector);
      expect((await readGpt(bufferReader(big)))?.entries).toHaveLength(2);
    });
  }

  it('lays out new tables as SPEC 3.5.1 (34/6 first usable)', () => {
    expect(newGpt(512, 10 << 20).header).toMatchObject({ firstUsableLba: 34, lastUsableLba: 20446, backupLba: 20479, entryLba: 2 });
    expect(newGpt(4096, 10 << 20).header).toMatchObject({ firstUsableLba: 6, lastUsableLba: 2554, backupLba: 2559 });
  });

  it('refuses duplicate GUIDs and overlaps', () => {
    const gpt = newGpt(512, 10 << 20);
    const e = (i: number, first: number, last: number, guid = i) =>
      makeEntry(i, { typeGuid: LINUX, uniqueGuid: Buffer.alloc(16, guid), firstLba: first, lastLba: last, name: `p${i}` });
    gpt.entries = [e(1, 34, 100), e(2, 101, 200, 1)];
    expect(() => serializeGpt(gpt)).toThrow('conflict of partition GUIDs');
    gpt.entries = [e(1, 34, 100), e(2, 100, 200)];
    expect(() => serializeGpt(gpt)).toThrow(/^invalid partition boundaries: partitions must have positive size/);
    gpt.entries = [e(1, 34, 30000)];
    expect(() => serializeGpt(gpt)).toThrow(/invalid partition boundaries/);
  });

  it('writes a protective MBR', () => {
    const mbr = protectiveMbr(512, 10 << 20);
    expect(mbr.subarray(0, 8)).toEqual(Buffer.from([0, 0, 2, 0, 0xee, 0xff, 0xff, 0xff]));
    expect(mbr.readUInt32LE(8)).toBe(1);
    expect(mbr.readUInt32LE(12)).toBe(20479);
    expect(mbr.subarray(64)).toEqual(Buffer.from([0x55, 0xaa]));
  });

  it.skipIf(!hasTool('sgdisk'))('produces tables sgdisk -v accepts', async () => {
    const dir = tmpDir();
    const file = join(dir, 'disk.img');
    const buf = Buffer.alloc(8 << 20);
    const gpt = newGpt(512, buf.length);
    gpt.entries = [makeEntry(2, { typeGuid: LINUX, uniqueGuid: Buffer.alloc(16, 9), firstLba: 2048, lastLba: 4095, name: 'data' })];
    apply(buf, gpt);
    protectiveMbr(512, buf.length).copy(buf, 446);
    writeFileSync(file, buf);
    const out = execFileSync('sgdisk', ['-v', file]).toString();
    expect(out).toContain('No problems found');
    expect(execFileSync('sgdisk', ['-i', '2', file]).toString()).toContain("Partition name: 'data'");
    expect(readFileSync(file).length).toBe(8 << 20);
  });
});
