import { describe, expect, it } from 'vitest';
import { truncateSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorChain, isNotFound } from '../../src/util/errors.js';
import { describeIsoLayout, prettyJson } from '../../src/live/iso-info.js';
import { ISO_FIXTURES, golden, pristineIso, withIso } from '../live/fixture-iso.js';
import { tmpDir } from '../helpers/tmp.js';

async function chainOf(p: Promise<unknown>): Promise<string[]> {
  try {
    await p;
  } catch (err) {
    return errorChain(err);
  }
  throw new Error('expected a failure');
}

describe('ISO 9660 layout (dev show iso goldens)', () => {
  for (const name of [...ISO_FIXTURES, 'synthetic' as const]) {
    it(name, async () => {
      const text = await withIso(pristineIso(name), async (iso) => prettyJson(await describeIsoLayout(iso)));
      expect(text).toBe(golden(`${name}.dev-show-iso.json`));
    });
  }
});

describe('path lookup', () => {
  const synthetic = () => pristineIso('synthetic');

  it('finds files and normalizes components', async () => {
    await withIso(synthetic(), async (iso) => {
      const file = await iso.getFile('/REALLY/./VERY/../VERY/DEEPLY/NESTED/FILE.TXT');
      expect((await iso.readFile(file)).toString()).toBe('foo\n');
      expect((await iso.getDirectory('')).name).toBe('.');
      expect((await iso.getDirectory('/')).name).toBe('.');
      expect((await iso.getDirectory('../..')).name).toBe('.');
      expect((await iso.getFile('NAMES/!"%&\'()*.+,-')).kind).toBe('file');
    });
  });

  it('is case-sensitive and reports NotFound kinds', async () => {
    await withIso(synthetic(), async (iso) => {
      const cases: [string, string][] = [
        ['content/file.txt', 'intermediate directory content does not exist'],
        ['CONTENT/FILE.TXT/X', 'component "FILE.TXT" in path CONTENT/FILE.TXT/X is not a directory'],
        ['CONTENT/DIR/NOPE', 'no record for NOPE in directory CONTENT/DIR'],
        ['NOPE', 'no record for NOPE in directory '],
      ];
      for (const [path, message] of cases) {
        const err = await iso.getPath(path).catch((e: unknown) => e);
        expect(isNotFound(err)).toBe(true);
        expect((err as Error).message).toBe(message);
      }
      await expect(iso.getFile('CONTENT')).rejects.toThrow('entry CONTENT is a directory');
      await expect(iso.getDirectory('CONTENT/FILE.TXT')).rejects.toThrow('entry FILE.TXT is a file');
      expect(isNotFound(await iso.getFile('CONTENT').catch((e: unknown) => e))).toBe(false);
    });
  });
});

describe('bad images', () => {
  const dir = tmpDir();

  it('rejects a truncated ISO as incomplete', async () => {
    const path = join(dir, 'truncated.iso');
    copyFileSync(pristineIso('embed-areas-2021-09'), path);
    truncateSync(path, 400_000);
    expect(await chainOf(withIso(path, async () => undefined))).toEqual(['parsing ISO9660 image', 'ISO image is incomplete']);
  });

  it('rejects junk with a short-read chain', async () => {
    const path = join(dir, 'junk.iso');
    writeFileSync(path, 'this is not an ISO\n');
    expect(await chainOf(withIso(path, async () => undefined))).toEqual([
      'parsing ISO9660 image',
      'getting volume descriptor #1',
      'reading volume descriptor',
      'failed to fill whole buffer',
    ]);
  });

  it('rejects a bad descriptor id and a missing primary', async () => {
    const path = join(dir, 'bad-id.iso');
    const buf = Buffer.alloc(40 * 2048);
    buf[32768] = 1;
    buf.write('CD002', 32769);
    writeFileSync(path, buf);
    expect(await chainOf(withIso(path, async () => undefined))).toEqual([
      'parsing ISO9660 image',
      'getting volume descriptor #1',
      'parsing primary descriptor',
      'unknown descriptor ID: [67, 68, 48, 48, 50]',
    ]);
    buf.fill(0, 32768);
    buf[32768] = 255;
    writeFileSync(path, buf);
    expect(await chainOf(withIso(path, async () => undefined))).toEqual([
      'parsing ISO9660 image',
      'no primary volume descriptor found in ISO',
    ]);
  });
});
