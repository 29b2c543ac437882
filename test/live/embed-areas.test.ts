import { describe, expect, it } from 'vitest';
import { openSync, writeSync, closeSync } from 'node:fs';
import { formatKargArea, locateInitrdArea, locateKargAreas, parseKargArea } from '../../src/live/embed-areas.js';
import { describeInitrdArea, describeKargAreas, prettyJson } from '../../src/live/iso-info.js';
import { parseFeatures, readFeatures } from '../../src/live/features.js';
import { errorChain } from '../../src/util/errors.js';
import { COREOS } from '../../src/util/family.js';
import { ISO_FIXTURES, golden, isoCopy, pristineIso, withIso } from './fixture-iso.js';
import { tmpDir } from '../helpers/tmp.js';

function poke(path: string, offset: number, bytes: Buffer): void {
  const fd = openSync(path, 'r+');
  writeSync(fd, bytes, 0, bytes.length, offset);
  closeSync(fd);
}

describe('embed areas of every era match the goldens', () => {
  for (const name of ISO_FIXTURES) {
    it(name, async () => {
      await withIso(pristineIso(name), async (iso) => {
        expect(prettyJson(describeInitrdArea(await locateInitrdArea(iso, COREOS)))).toBe(golden(`${name}.dev-show-iso-ignition.json`));
        const kargs = await locateKargAreas(iso, COREOS);
        expect(prettyJson(describeKargAreas(kargs))).toBe(golden(`${name}.dev-show-iso-kargs.json`));
        if (kargs !== undefined) {
          expect(kargs.current + '\n').toBe(golden(`${name}.iso-kargs-show.txt`));
          expect(kargs.default + '\n').toBe(golden(`${name}.iso-kargs-show-default.txt`));
          // A pristine area is exactly default + end + pad.
          for (const r of kargs.regions) expect(formatKargArea(kargs.default, r).equals(r.contents)).toBe(true);
        }
      });
    });
  }

  it('synthetic.iso has no embed area', async () => {
    await withIso(pristineIso('synthetic'), async (iso) => {
      const err = await locateInitrdArea(iso, COREOS).catch((e: unknown) => e);
      expect(errorChain(err)).toEqual(['finding initrd embed area', 'intermediate directory IMAGES does not exist']);
    });
  });
});

describe('upstream corruption fallbacks (2021-09)', () => {
  const dir = tmpDir();
  const expected = async () => withIso(pristineIso('embed-areas-2021-09'), (iso) => locateKargAreas(iso, COREOS));

  it('zeroed coreKarg magic: kargs.json still used', async () => {
    const path = isoCopy('embed-areas-2021-09', dir, 'a.iso');
    poke(path, 32672, Buffer.alloc(8));
    const got = await withIso(path, (iso) => locateKargAreas(iso, COREOS));
    expect(describeKargAreas(got)).toEqual(describeKargAreas(await expected()));
  });

  it('corrupt KARGS.JSO name: the legacy header gives the same result', async () => {
    const path = isoCopy('embed-areas-2021-09', dir, 'b.iso');
    poke(path, 63725, Buffer.from('X'));
    const got = await withIso(path, (iso) => locateKargAreas(iso, COREOS));
    expect(describeKargAreas(got)).toEqual(describeKargAreas(await expected()));
    expect(got?.current).toBe((await expected())?.current);
  });

  it('both: no karg support', async () => {
    const path = isoCopy('embed-areas-2021-09', dir, 'c.iso');
    poke(path, 63725, Buffer.from('X'));
    poke(path, 32672, Buffer.alloc(8));
    expect(await withIso(path, (iso) => locateKargAreas(iso, COREOS))).toBeUndefined();
  });

  it('corrupt IGNITION.IMG name: embed area not found', async () => {
    const path = isoCopy('embed-areas-2021-09', dir, 'd.iso');
    poke(path, 65903, Buffer.from('X'));
    const err = await withIso(path, (iso) => locateInitrdArea(iso, COREOS)).catch((e: unknown) => e);
    expect(errorChain(err)[0]).toBe('finding initrd embed area');
    expect(errorChain(err)[1]).toMatch(/^no record for IGNITION\.IMG in directory IMAGES$/);
  });

  it('mismatched areas are reported', async () => {
    const path = isoCopy('embed-areas-2021-09', dir, 'e.iso');
    poke(path, 371658, formatKargArea('other', { length: 1139, pad: '#', end: '\n' }));
    const err = await withIso(path, (iso) => locateKargAreas(iso, COREOS)).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(
      /^kargs don't match at all offsets! \(expected 'mitigations=.*', but offset 371658 has: 'other'\)$/,
    );
  });
});

describe('karg area text', () => {
  it('strips pad, then end, then whitespace', () => {
    expect(parseKargArea(Buffer.from(' a b \n###'), '#', '\n')).toBe('a b');
    expect(parseKargArea(Buffer.from('a b\0\0\0'), '\0', '\0')).toBe('a b');
    expect(() => parseKargArea(Buffer.from([0xff, 0x23]), '#', '\n')).toThrow('invalid UTF-8 in karg area');
  });

  it('formats to exactly L bytes', () => {
    expect(formatKargArea(' a ', { length: 6, pad: '#', end: '\n' }).toString()).toBe('a\n####');
    expect(formatKargArea('ab', { length: 4, pad: '\0', end: '\0' })).toEqual(Buffer.from('ab\0\0'));
  });
});

describe('features', () => {
  it('parses keys and defaults', () => {
    expect(parseFeatures(Buffer.from('{"live-initrd-network":true,"x":1}'))).toEqual({
      installerConfig: false,
      installerConfigDirectives: { console: false },
      liveInitrdNetwork: true,
    });
    expect(
      parseFeatures(Buffer.from('{"installer-config":true,"installer-config-directives":{"console":true}}')).installerConfigDirectives
        .console,
    ).toBe(true);
    expect(() => parseFeatures(Buffer.from('[]'))).toThrow();
  });

  it.each([
    ['embed-areas-2021-09', false, false],
    ['embed-areas-2021-12', true, false],
    ['embed-areas-2022-02', true, false],
    ['embed-areas-2022-09', true, true],
    ['embed-areas-2023-07.s390x', true, true],
  ] as const)('%s', async (name, network, console) => {
    const f = await withIso(pristineIso(name), (iso) => readFeatures(iso, COREOS));
    expect(f.liveInitrdNetwork).toBe(network);
    expect(f.installerConfigDirectives.console).toBe(console);
  });
});
