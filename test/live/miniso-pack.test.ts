// Packing (SPEC 4.14) against the upstream packer's own output: unpack each
// fixture's minimal ISO, blank the full ISO's MINISO.DAT, pack again, and the
// data file must come out byte for byte as the fixture has it.

import { open } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordOffset } from '../../src/iso9660/directory.js';
import { openIsoFs } from '../../src/iso9660/iso-fs.js';
import { parseMiniso, serializeMiniso, type MinisoEntry } from '../../src/live/miniso.js';
import { buildTable, packMiniso } from '../../src/live/miniso-pack.js';
import { unpackMiniso } from '../../src/live/miniso-unpack.js';
import { formatErrorChain } from '../../src/util/errors.js';
import { needs } from '../helpers/env.js';
import { tmpDir } from '../helpers/tmp.js';
import { isoCopy, withIso, type IsoFixture } from './fixture-iso.js';

const FIXTURES: IsoFixture[] = [
  'embed-areas-2021-12',
  'embed-areas-2022-02',
  'embed-areas-2022-09',
  'embed-areas-2023-03.x86_64',
  'embed-areas-2023-03.s390x',
  'embed-areas-2023-07.x86_64',
  'embed-areas-2023-07.s390x',
];

describe('miniso table', () => {
  it('sorts by minimal address, drops empty entries and hard-link duplicates, and validates', () => {
    const e = (minimal: number, full: number, length: number): MinisoEntry => ({ minimal, full, length });
    expect(buildTable([e(30, 3, 10), e(10, 1, 2048), e(20, 9, 0), e(30, 3, 10), e(12, 2, 1)])).toEqual([
      e(10, 1, 2048),
      e(12, 2, 1),
      e(30, 3, 10),
    ]);
    const overlap = (() => {
      try {
        buildTable([e(10, 1, 2049), e(11, 2, 1)]);
      } catch (err) {
        return formatErrorChain(err);
      }
      return '';
    })();
    expect(overlap).toBe('Error: validating table\n\nCaused by:\n    Files at offsets 20480 and 22528 overlap\n');
  });
});

describe.skipIf(needs({ tools: ['xz'] }))('pack minimal-iso against upstream packs', () => {
  for (const name of FIXTURES) {
    it(`${name}: repacking the unpacked minimal ISO gives the fixture's MINISO.DAT bytes`, async () => {
      const dir = tmpDir();
      const fullPath = isoCopy(name, dir, 'full.iso');
      const full = await open(fullPath, 'r+');
      try {
        const fullIso = await openIsoFs(full);
        const record = await fullIso.getFile('COREOS/MINISO.DAT');
        const original = await fullIso.readFile(record);
        const data = parseMiniso(original);
        const chunks: Buffer[] = [];
        await unpackMiniso(data, full, async (c) => {
          chunks.push(Buffer.from(c));
        });
        const minimalPath = join(dir, 'minimal.iso');
        writeFileSync(minimalPath, Buffer.concat(chunks));
        await full.write(Buffer.alloc(record.length), 0, record.length, recordOffset(record));

        const lines: string[] = [];
        const packed = await withIso(minimalPath, (minimal) =>
          packMiniso(fullIso, fullPath, minimal, minimalPath, data.appVersion, (l) => lines.push(l)),
        );
        expect(packed.data.entries).toEqual(data.entries);
        expect(packed.data.digest.equals(data.digest)).toBe(true);
        const bytes = serializeMiniso(packed.data);
        expect(bytes.toString('hex')).toBe(original.subarray(0, bytes.length).toString('hex'));
        expect(lines).toEqual([
          'Packing minimal ISO',
          `Matched ${data.entries.length} files of ${packed.total}`,
          `Total bytes skipped: ${packed.skipped}`,
          `Total bytes written: ${packed.written}`,
          `Total bytes written (compressed): ${data.xzpacked.length}`,
          'Verifying that packed image matches digest',
        ]);
        expect(packed.skipped + packed.written).toBe(chunks.reduce((n, c) => n + c.length, 0));
      } finally {
        await full.close();
      }
    });
  }
});
