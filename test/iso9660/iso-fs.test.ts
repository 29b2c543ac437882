import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, truncateSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorChain, isNotFound } from '../../src/util/errors.js';
import { describeIsoLayout, prettyJson } from '../../src/live/iso-info.js';
import { ISO_FIXTURES, golden, pristineIso, withIso } from '../live/fixture-iso.js';
import { tmpDir } from '../helpers/tmp.js';
import { needs } from '../helpers/env.js';

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

// A level-1 image as genisoimage makes a NestOS ISO (no -iso-level, Rock Ridge
// and Joliet): the primary names are 8.3, EFI/openEuler is EFI/OPENEULE.
describe.skipIf(needs({ tools: ['genisoimage'] }))('long names on a level-1 ISO (Rock Ridge NM)', () => {
  const dir = tmpDir();
  const tree = join(dir, 'tree');
  for (const d of ['EFI/BOOT', 'EFI/openEuler', 'isolinux']) mkdirSync(join(tree, d), { recursive: true });
  writeFileSync(join(tree, 'EFI/BOOT/grub.cfg'), 'boot grub\n');
  writeFileSync(join(tree, 'EFI/openEuler/grub.cfg'), 'vendor grub\n');
  writeFileSync(join(tree, 'isolinux/isolinux.cfg'), 'isolinux\n');
  const iso = join(dir, 'level1.iso');
  execFileSync('genisoimage', ['-quiet', '-V', 'LEVEL1', '-rational-rock', '-J', '-joliet-long', '-o', iso, tree], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });

  it('the primary names are 8.3; lookup resolves the long names', async () => {
    await withIso(iso, async (fs) => {
      const efi = (await fs.listDirectory(await fs.getDirectory('EFI'))).map((r) => [r.name, r.rrName]);
      expect(efi).toEqual([
        ['BOOT', 'BOOT'],
        ['OPENEULE', 'openEuler'],
      ]);
      expect((await fs.readFile(await fs.lookupFile('EFI/openEuler/grub.cfg'))).toString()).toBe('vendor grub\n');
      expect((await fs.readFile(await fs.lookupFile('EFI/BOOT/grub.cfg'))).toString()).toBe('boot grub\n');
      expect((await fs.readFile(await fs.lookupFile('isolinux/isolinux.cfg'))).toString()).toBe('isolinux\n');
      // Upper-casing alone (upstream's way) does not find it; the strict primary lookup stays as upstream.
      expect(isNotFound(await fs.getPath('EFI/OPENEULER/GRUB.CFG').catch((e: unknown) => e))).toBe(true);
      expect((await fs.getFile('EFI/OPENEULE/GRUB.CFG')).length).toBe(12);
    });
  });

  it('a missing long path is named in the error', async () => {
    await withIso(iso, async (fs) => {
      const err = await fs.lookup('EFI/openEuler/missing.cfg').catch((e: unknown) => e);
      expect(isNotFound(err)).toBe(true);
      expect((err as Error).message).toBe('no record for MISSING.CFG in directory EFI/OPENEULER');
      const dirErr = await fs.lookup('EFI/fedora/grub.cfg').catch((e: unknown) => e);
      expect((dirErr as Error).message).toBe('intermediate directory FEDORA does not exist');
    });
  });
});
