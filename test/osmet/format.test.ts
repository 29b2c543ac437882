// The osmet format module against its definition (OSMET.md) and against the
// independent Python reference codec (test/helpers/osmet_ref.py).

import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  Decoder,
  Encoder,
  TruncatedError,
  canonicalizeMappings,
  decodeHeader,
  encodeHeader,
  encodeTable,
  validateTable,
  type Mapping,
  type OsmetTable,
} from '../../src/osmet/format.js';
import { readOsmetContents, readOsmetHeader } from '../../src/osmet/file.js';
import { openUnpackedImage } from '../../src/osmet/unpack.js';
import { needs } from '../helpers/env.js';
import { buildSyntheticImage, refDecode, refEncode } from '../helpers/osmet.js';
import { tmpDir } from '../helpers/tmp.js';

const hex = (b: Buffer) => b.toString('hex');

describe('bincode varints', () => {
  it.each([
    [0, '00'],
    [250, 'fa'],
    [251, 'fbfb00'],
    [512, 'fb0002'],
    [4096, 'fb0010'],
    [65535, 'fbffff'],
    [65536, 'fc00000100'],
    [0xffffffff, 'fcffffffff'],
    [2 ** 32, 'fd0000000001000000'],
    [2 ** 40 + 5, 'fd0500000000010000'],
  ])('%d encodes as %s and decodes back', (value, bytes) => {
    const enc = new Encoder().u64(value).finish();
    expect(hex(enc)).toBe(bytes);
    expect(new Decoder(enc).u64()).toBe(value);
  });

  it('rejects u128 and reserved tags, and u32 overflow', () => {
    expect(() => new Decoder(Buffer.from([0xfe])).u64()).toThrow(/u128/);
    expect(() => new Decoder(Buffer.from([0xff])).u64()).toThrow(/u128/);
    expect(() => new Decoder(Buffer.from('fd0000000001000000', 'hex')).u32()).toThrow(/Invalid u32/);
  });

  it('reports truncation so a reader can read more', () => {
    expect(() => new Decoder(Buffer.from([0xfc, 1, 2])).u64()).toThrow(TruncatedError);
    expect(() => new Decoder(Buffer.from([5, 0x61])).string()).toThrow(TruncatedError);
  });
});

describe('header', () => {
  const header = { appVersion: '0.20.0', sectorSize: 512, osDescription: 'NestOS For Container 22.03', osArchitecture: 'x86_64' };

  it('is laid out as OSMET.md says', () => {
    const buf = encodeHeader(new Encoder(), header).finish();
    const expected = Buffer.concat([
      Buffer.from('OSMET\0\0\0', 'latin1'),
      Buffer.from([1, 6]),
      Buffer.from('0.20.0'),
      Buffer.from([0xfb, 0x00, 0x02]),
      Buffer.from([26]),
      Buffer.from('NestOS For Container 22.03'),
      Buffer.from([6]),
      Buffer.from('x86_64'),
    ]);
    expect(hex(buf)).toBe(hex(expected));
    expect(decodeHeader(new Decoder(buf))).toEqual({ version: 1, ...header });
  });

  it('refuses another magic or version with upstream wording', () => {
    const buf = encodeHeader(new Encoder(), header).finish();
    const bad = Buffer.from(buf);
    bad[0] = 0x58;
    expect(() => decodeHeader(new Decoder(bad))).toThrow('not an OSMET file!');
    const v2 = Buffer.from(buf);
    v2[8] = 2;
    expect(() => decodeHeader(new Decoder(v2))).toThrow('incompatible OSMET file version 2');
  });
});

describe('table', () => {
  const obj = (n: number) => Buffer.alloc(32, n);
  const m = (physical: number, length: number, logical = 0, n = 1): Mapping => ({ extent: { logical, physical, length }, object: obj(n) });

  it('canonical extents: sorted, longest first, contained dropped, overlapping trimmed at the start', () => {
    const out = canonicalizeMappings([m(8192, 4096, 0, 3), m(0, 4096, 0, 1), m(0, 8192, 0, 2), m(4096, 2048, 0, 4), m(6144, 4096, 100, 5)]);
    expect(out.map((x) => [x.extent.physical, x.extent.length, x.extent.logical, x.object[0]])).toEqual([
      [0, 8192, 0, 2],
      [8192, 2048, 100 + 2048, 5],
      [10240, 2048, 2048, 3],
    ]);
  });

  it('checks: a partition, sorted and non-overlapping mappings', () => {
    const t = (mappings: Mapping[]): OsmetTable => ({
      partitions: [{ startOffset: 0, endOffset: 1 << 20, mappings }],
      checksum: Buffer.alloc(32),
      size: 1 << 20,
    });
    expect(() => validateTable({ partitions: [], checksum: Buffer.alloc(32), size: 0 })).toThrow(/no partitions/);
    expect(() => validateTable(t([m(4096, 4096), m(0, 4096)]))).toThrow(/not sorted or overlap/);
    expect(() => validateTable(t([m(0, 8192), m(4096, 4096)]))).toThrow(/not sorted or overlap/);
    expect(() => validateTable(t([m(0, 4096), m(4096, 4096)]))).not.toThrow();
  });
});

describe.skipIf(needs({ tools: ['python3'] }))('against the reference codec', () => {
  const dir = tmpDir('nestos-osmet-format-');

  async function unpackOurs(path: string, repo: string): Promise<string> {
    const contents = await readOsmetContents(path);
    const hash = createHash('sha256');
    for await (const chunk of await openUnpackedImage(path, contents, repo)) hash.update(chunk as Buffer);
    return hash.digest('hex');
  }

  it('a file written by the reference encoder is read and unpacked by ours', async () => {
    const img = buildSyntheticImage(join(dir, 'a'));
    const osmet = join(dir, 'ref.osmet');
    refEncode({ ...img.spec, fast: false }, img.image, osmet);
    expect(await readOsmetHeader(osmet)).toEqual({
      version: 1,
      appVersion: '0.20.0',
      sectorSize: 512,
      osDescription: 'NestOS 22.03 (test)',
      osArchitecture: 'x86_64',
    });
    const contents = await readOsmetContents(osmet);
    expect(contents.table.size).toBe(4 << 20);
    expect(hex(contents.table.checksum)).toBe(img.sha256);
    expect(contents.table.partitions.map((p) => p.mappings.length)).toEqual([1, 4]);
    expect(await unpackOurs(osmet, img.repo)).toBe(img.sha256);
  });

  it('a file written by our encoder is decoded by the reference to the same image', async () => {
    const img = buildSyntheticImage(join(dir, 'b'), 'Fedora CoreOS 40', 'aarch64');
    const table: OsmetTable = {
      partitions: img.spec.partitions.map((p) => ({
        startOffset: p.start,
        endOffset: p.end,
        mappings: p.mappings.map((x) => ({
          extent: { logical: x.logical, physical: x.physical, length: x.length },
          object: Buffer.from(x.object, 'hex'),
        })),
      })),
      checksum: Buffer.from(img.sha256, 'hex'),
      size: 4 << 20,
    };
    const head = encodeTable(
      encodeHeader(new Encoder(), { appVersion: '0.1.0', sectorSize: 4096, osDescription: 'Fedora CoreOS 40', osArchitecture: 'aarch64' }),
      table,
    ).finish();
    // The packed stream: the image without the mapped extents, xz with CRC64.
    const image = readFileSync(img.image);
    const parts: Buffer[] = [];
    let pos = 0;
    for (const p of table.partitions) {
      for (const x of p.mappings) {
        parts.push(image.subarray(pos, p.startOffset + x.extent.physical));
        pos = p.startOffset + x.extent.physical + x.extent.length;
      }
    }
    parts.push(image.subarray(pos));
    const { xzAsync, check } = await import('node-liblzma');
    const packed = await xzAsync(Buffer.concat(parts), { preset: 0, check: check.CRC64 });
    const osmet = join(dir, 'ours.osmet');
    writeFileSync(osmet, Buffer.concat([head, packed]));
    const out = join(dir, 'ours.raw');
    const decoded = refDecode(osmet, img.repo, out);
    expect(decoded.header).toEqual({
      version: 1,
      app_version: '0.1.0',
      sector_size: 4096,
      description: 'Fedora CoreOS 40',
      architecture: 'aarch64',
    });
    expect(decoded.checksum).toBe(img.sha256);
    expect(createHash('sha256').update(readFileSync(out)).digest('hex')).toBe(img.sha256);
    expect(await unpackOurs(osmet, img.repo)).toBe(img.sha256);
  });
});
