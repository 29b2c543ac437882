// MINISO.DAT (SPEC 4.13.2) and the streamed unpack (4.13.3) on every fixture
// that carries one: the real files parse, re-serialize to the same bytes, and
// unpack to minimal ISOs whose SHA-256 (computed here, independently) is the
// digest the packer recorded.

import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { MINISO_DATA_MAX_SIZE, parseMiniso, serializeMiniso, validateTable, type MinisoData } from '../../src/live/miniso.js';
import { unpackMiniso } from '../../src/live/miniso-unpack.js';
import { serializeKargsJson } from '../../src/live/minimal-iso.js';
import { formatErrorChain } from '../../src/util/errors.js';
import { needs } from '../helpers/env.js';
import { tmpDir } from '../helpers/tmp.js';
import { isoCopy, pristineIso, withIso, type IsoFixture } from './fixture-iso.js';

/** Fixtures with MINISO.DAT and the unpacked sizes and entry counts of SPEC 7.1. */
const MINISO_FIXTURES: [IsoFixture, number, number, string][] = [
  ['embed-areas-2021-12', 722944, 12, '0.11.0'],
  ['embed-areas-2022-02', 1048576, 11, '0.13.1'],
  ['embed-areas-2022-09', 1048576, 11, '0.15.0'],
  ['embed-areas-2023-03.x86_64', 1048576, 12, '0.16.1'],
  ['embed-areas-2023-03.s390x', 927744, 14, '0.16.1'],
  ['embed-areas-2023-07.x86_64', 1048576, 12, '0.17.0'],
  ['embed-areas-2023-07.s390x', 929792, 15, '0.17.0'],
];

async function rawMiniso(iso: string): Promise<Buffer> {
  return withIso(iso, async (fs) => fs.readFile(await fs.getFile('COREOS/MINISO.DAT')));
}

/** Unpack into memory (the fixtures are at most 1 MiB) and hash independently. */
async function unpackToBuffer(data: MinisoData, iso: string): Promise<{ bytes: Buffer; returned: number }> {
  const chunks: Buffer[] = [];
  const handle = await open(iso, 'r');
  try {
    const returned = await unpackMiniso(data, handle, async (c) => {
      chunks.push(Buffer.from(c));
    });
    return { bytes: Buffer.concat(chunks), returned };
  } finally {
    await handle.close();
  }
}

/** The report main.ts prints, without its final newline. */
function fmt(err: unknown): string {
  return formatErrorChain(err).replace(/\n$/, '');
}

function chain(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return fmt(err);
  }
  throw new Error('expected an error');
}

describe('MINISO.DAT format', () => {
  it('decodes the 2023-07.x86_64 header and table as SPEC 4.13.2 shows', async () => {
    const raw = await rawMiniso(pristineIso('embed-areas-2023-07.x86_64'));
    expect(raw.subarray(0, 22).toString('hex')).toBe(
      '4d494e49534f0000' + '01' + '06' + Buffer.from('0.17.0').toString('hex') + '0c2c2cfb0008',
    );
    const data = parseMiniso(raw);
    expect(data.appVersion).toBe('0.17.0');
    expect(data.entries.length).toBe(12);
    expect(data.entries[0]).toEqual({ minimal: 44, full: 44, length: 2048 });
    expect(data.digest.length).toBe(32);
    expect(data.xzpacked.subarray(0, 6).toString('hex')).toBe('fd377a585a00');
  });

  for (const [name, , count, app] of MINISO_FIXTURES) {
    it(`${name}: parses (${count} entries, packer ${app}) and re-serializes to the same bytes`, async () => {
      const raw = await rawMiniso(pristineIso(name));
      const data = parseMiniso(raw);
      expect(data.entries.length).toBe(count);
      expect(data.appVersion).toBe(app);
      const again = serializeMiniso(data);
      expect(again.equals(raw.subarray(0, again.length))).toBe(true);
      // The rest of the ISO file is zero padding.
      expect(raw.subarray(again.length).every((b) => b === 0)).toBe(true);
    });
  }

  it('varints use the smallest form at each boundary and round-trip', () => {
    const digest = Buffer.alloc(32, 7);
    const cases: [number, string][] = [
      [0, '00'],
      [250, 'fa'],
      [251, 'fbfb00'],
      [0xffff, 'fbffff'],
      [0x10000, 'fc00000100'],
      [0xffff_ffff, 'fcffffffff'],
    ];
    for (const [value, hex] of cases) {
      const data: MinisoData = { appVersion: '', entries: [{ minimal: value, full: 1, length: 2 }], digest, xzpacked: Buffer.alloc(0) };
      const bytes = serializeMiniso(data);
      // magic(8) version(1) app len(1) count(1) then the first varint
      expect(bytes.subarray(11, 11 + hex.length / 2).toString('hex')).toBe(hex);
      expect(parseMiniso(bytes)).toEqual(data);
    }
    // A u64 length prefix in its 9-byte form decodes too (bincode accepts it).
    const data: MinisoData = { appVersion: 'x', entries: [{ minimal: 1, full: 1, length: 1 }], digest, xzpacked: Buffer.alloc(0) };
    const bytes = serializeMiniso(data);
    const long = Buffer.concat([bytes.subarray(0, 9), Buffer.from('fd0100000000000000', 'hex'), bytes.subarray(10)]);
    expect(parseMiniso(long)).toEqual(data);
  });

  it('refuses a bad magic, a future version, an empty or overlapping table, with upstream wording', () => {
    const digest = Buffer.alloc(32);
    const good: MinisoData = {
      appVersion: '0.17.0',
      entries: [
        { minimal: 10, full: 20, length: 4096 },
        { minimal: 12, full: 30, length: 1 },
      ],
      digest,
      xzpacked: Buffer.alloc(0),
    };
    const bytes = serializeMiniso(good);
    const badMagic = Buffer.from(bytes);
    badMagic[0] = 0x6d;
    expect(chain(() => parseMiniso(badMagic))).toBe('Error: validating header\n\nCaused by:\n    not a miniso file!');
    const v2 = Buffer.from(bytes);
    v2[8] = 2;
    expect(chain(() => parseMiniso(v2))).toBe(
      'Error: validating header\n\nCaused by:\n    incompatible miniso file version: 1 vs 2 (created by 0.17.0)',
    );
    expect(chain(() => parseMiniso(serializeMiniso({ ...good, entries: [] })))).toBe(
      'Error: validating table\n\nCaused by:\n    table is empty; ISOs have no files in common?',
    );
    const overlap = {
      ...good,
      entries: [
        { minimal: 10, full: 20, length: 4097 },
        { minimal: 12, full: 30, length: 1 },
      ],
    };
    expect(chain(() => parseMiniso(serializeMiniso(overlap)))).toBe(
      'Error: validating table\n\nCaused by:\n    Files at offsets 20480 and 24576 overlap',
    );
    expect(() => validateTable(good.entries)).not.toThrow();
  });

  it('truncated data, a length past the end and the 1 MiB limit are errors, not crashes', () => {
    const data: MinisoData = {
      appVersion: '1',
      entries: [{ minimal: 1, full: 1, length: 1 }],
      digest: Buffer.alloc(32),
      xzpacked: Buffer.alloc(100, 1),
    };
    const bytes = serializeMiniso(data);
    expect(chain(() => parseMiniso(bytes.subarray(0, bytes.length - 1)))).toBe(
      'Error: io error: failed to fill whole buffer\n\nCaused by:\n    failed to fill whole buffer',
    );
    // A packed length that runs past the limit in a file longer than the limit.
    const huge = Buffer.concat([
      bytes.subarray(0, bytes.length - 101),
      Buffer.from('fc00002000', 'hex'),
      Buffer.alloc(MINISO_DATA_MAX_SIZE),
    ]);
    expect(chain(() => parseMiniso(huge))).toBe(
      `Error: io error: collision with data size limit at offset ${MINISO_DATA_MAX_SIZE}\n\nCaused by:\n    collision with data size limit at offset ${MINISO_DATA_MAX_SIZE}`,
    );
    expect(chain(() => parseMiniso(Buffer.from('MINISO\0\0\x01\xff', 'latin1')))).toBe('Error: invalid varint tag 255');
  });
});

describe.skipIf(needs({ tools: ['xz'] }))('minimal ISO unpacking', () => {
  for (const [name, size] of MINISO_FIXTURES) {
    it(`${name}: unpacks to ${size} bytes whose SHA-256 is the recorded digest`, async () => {
      const iso = pristineIso(name);
      const data = parseMiniso(await rawMiniso(iso));
      const { bytes, returned } = await unpackToBuffer(data, iso);
      expect(returned).toBe(size);
      expect(bytes.length).toBe(size);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(data.digest.toString('hex'));
      // Every shared range holds the full ISO's bytes.
      const full = await open(iso, 'r');
      try {
        for (const e of data.entries) {
          const want = Buffer.alloc(e.length);
          await full.read(want, 0, e.length, e.full * 2048);
          expect(bytes.subarray(e.minimal * 2048, e.minimal * 2048 + e.length).equals(want)).toBe(true);
        }
      } finally {
        await full.close();
      }
    });
  }

  it('a full ISO whose shared files changed fails with the wrong final digest', async () => {
    const dir = tmpDir();
    const iso = isoCopy('embed-areas-2022-09', dir);
    const data = parseMiniso(await rawMiniso(iso));
    const entry = data.entries[3];
    if (entry === undefined) throw new Error('fixture has entries');
    const h = await open(iso, 'r+');
    await h.write(Buffer.from('X'), 0, 1, entry.full * 2048);
    await h.close();
    const err = await unpackToBuffer(data, iso).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(fmt(err)).toMatch(/^Error: wrong final digest: expected [0-9a-f]{64}, found [0-9a-f]{64}$/);
    expect(fmt(err)).toContain(`expected ${data.digest.toString('hex')}`);
  });

  it('packed data that is not xz, and packed data too short for the table, are clear errors', async () => {
    const iso = pristineIso('embed-areas-2022-09');
    const data = parseMiniso(await rawMiniso(iso));
    const notXz = await unpackToBuffer({ ...data, xzpacked: Buffer.from('plain bytes') }, iso).catch((e: unknown) => e);
    expect(fmt(notXz)).toBe('Error: decoding packed data\n\nCaused by:\n    File format not recognized');
    const { xzCompress } = await import('../../src/io/codecs.js');
    const short = await unpackToBuffer({ ...data, xzpacked: await xzCompress(Buffer.alloc(100)) }, iso).catch((e: unknown) => e);
    const first = data.entries[0]?.minimal ?? 0;
    expect(fmt(short)).toBe(
      `Error: copying ${first * 2048} packed bytes at offset 0\n\nCaused by:\n    expected to copy ${first * 2048} bytes but instead copied 100 bytes`,
    );
  });
});

describe('kargs.json rewrite', () => {
  it('keeps known keys in upstream order, drops unknown ones, and pretty-prints without a newline', () => {
    const input = Buffer.from(
      JSON.stringify({
        size: 1139,
        files: [
          { path: 'b.cfg', offset: 5, end: '\n', extra: 1 },
          { pad: '\0', offset: 1, path: 'a.cfg' },
        ],
        default: 'a b',
        more: true,
      }),
    );
    expect(serializeKargsJson(input, 'x y').toString()).toBe(
      '{\n  "default": "x y",\n  "files": [\n    {\n      "path": "b.cfg",\n      "offset": 5,\n      "end": "\\n"\n    },\n' +
        '    {\n      "path": "a.cfg",\n      "offset": 1,\n      "pad": "\\u0000"\n    }\n  ],\n  "size": 1139\n}',
    );
    expect(serializeKargsJson(Buffer.from('{"default":"","files":[],"size":1}'), '').toString()).toBe(
      '{\n  "default": "",\n  "files": [],\n  "size": 1\n}',
    );
  });
});
