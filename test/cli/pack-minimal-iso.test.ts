// `pack minimal-iso` then `iso extract minimal-iso` on ISO pairs built with
// xorriso the way an OS build makes them: the same tree, the full ISO with
// the rootfs and an empty MINISO.DAT, the minimal one without. The extracted
// ISO is the minimal ISO, changed only in its karg areas and kargs.json.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordOffset } from '../../src/iso9660/directory.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { needs } from '../helpers/env.js';
import { tmpDir } from '../helpers/tmp.js';
import { sha256, withIso } from '../live/fixture-iso.js';
import { ok } from './iso-helpers.js';

const KARGS_SIZE = 1024;

interface Pair {
  full: string;
  minimal: string;
  kargs: string;
  rootfs: Buffer;
  /** Absolute byte ranges of the minimal ISO that extraction may change. */
  editable: [number, number][];
}

function kargArea(kargs: string): string {
  return kargs + '\n' + '#'.repeat(KARGS_SIZE - kargs.length - 1);
}

/** Build a full and a minimal ISO of one family's layout (`meta`: coreos or nestos). */
async function buildPair(
  dir: string,
  meta: string,
  minisoSize = 128 * 1024,
  kargs = `${meta}.liveiso=TESTLIVE ignition.firstboot ignition.platform.id=metal quiet`,
): Promise<Pair> {
  // NestOS media are ISO 9660 level 1 (8.3 primary names) with Rock Ridge: EFI/openEuler is EFI/OPENEULE.
  const efi = meta === 'nestos' ? 'EFI/openEuler' : 'EFI/fedora';
  const tree = join(dir, 'tree');
  for (const d of [meta, 'images/pxeboot', efi, 'isolinux']) mkdirSync(join(tree, d), { recursive: true });
  writeFileSync(join(tree, 'images/ignition.img'), Buffer.alloc(256 * 1024));
  writeFileSync(join(tree, 'images/pxeboot/vmlinuz'), randomBytes(1_500_001));
  writeFileSync(join(tree, 'images/pxeboot/initrd.img'), randomBytes(2_000_003));
  const grubHead = "menuentry 'live' {\n  linux /images/pxeboot/vmlinuz ";
  writeFileSync(join(tree, `${efi}/grub.cfg`), `${grubHead}${kargArea(kargs)}  initrd /images/pxeboot/initrd.img\n}\n`);
  const isoHead = 'label live\n  kernel /images/pxeboot/vmlinuz\n  append ';
  writeFileSync(join(tree, 'isolinux/isolinux.cfg'), `${isoHead}${kargArea(kargs)}\n`);
  const files = [
    { path: `${efi}/grub.cfg`, offset: grubHead.length },
    { path: 'isolinux/isolinux.cfg', offset: isoHead.length },
  ];
  writeFileSync(join(tree, `${meta}/kargs.json`), JSON.stringify({ default: kargs, files, size: KARGS_SIZE }, null, 1) + ' '.repeat(200));
  const mkisofs = (out: string): void => {
    const args = meta === 'nestos' ? ['-iso-level', '1', '-rational-rock', '-J', '-joliet-long'] : ['-R', '-J'];
    execFileSync('xorriso', ['-as', 'mkisofs', '-quiet', '-o', out, '-V', 'TESTLIVE', ...args, tree], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  };
  const minimal = join(dir, 'minimal.iso');
  mkisofs(minimal);
  const rootfs = randomBytes(3_000_007);
  writeFileSync(join(tree, 'images/pxeboot/rootfs.img'), rootfs);
  writeFileSync(join(tree, `${meta}/miniso.dat`), Buffer.alloc(minisoSize));
  const full = join(dir, 'full.iso');
  mkisofs(full);
  rmSync(tree, { recursive: true });
  const editable = await withIso(minimal, async (iso) => {
    const ranges: [number, number][] = [];
    for (const f of files) {
      const start = recordOffset(await iso.lookupFile(f.path)) + f.offset;
      ranges.push([start, start + KARGS_SIZE]);
    }
    const json = await iso.getFile(`${meta.toUpperCase()}/KARGS.JSO`);
    ranges.push([recordOffset(json), recordOffset(json) + json.length]);
    return ranges;
  });
  return { full, minimal, kargs, rootfs, editable };
}

/** pack prints its status lines first; the error report ends stderr. */
function packFails(r: CliResult, text: string): void {
  expect(r.status).toBe(1);
  expect(r.stderr).toContain(`\nError: ${text}`);
  expect(r.stderr.endsWith(`${text}\n`)).toBe(true);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

function changedOnlyIn(out: Buffer, original: Buffer, ranges: [number, number][]): void {
  expect(out.length).toBe(original.length);
  for (let i = 0; i < out.length; i++) {
    if (out[i] !== original[i])
      expect(
        ranges.some(([a, b]) => i >= a && i < b),
        `byte ${i} changed`,
      ).toBe(true);
  }
}

describe.skipIf(needs({ tools: ['xorriso'] }))('pack minimal-iso', () => {
  it('CoreOS layout: pack, then extract gives the minimal ISO back with its kargs edited', async () => {
    const dir = tmpDir();
    const pair = await buildPair(dir, 'coreos');
    const minimalBytes = readFileSync(pair.minimal);
    const fullKargs = ok(await runCli(['iso', 'kargs', 'show', pair.full])).out;

    const r = ok(await runCli(['pack', 'minimal-iso', pair.full, pair.minimal]));
    expect(r.out).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('Packing minimal ISO');
    expect(lines[1]).toMatch(/^Matched \d+ files of \d+$/);
    expect(lines.slice(2, 5).map((l) => l.replace(/\d+$/, 'N'))).toEqual([
      'Total bytes skipped: N',
      'Total bytes written: N',
      'Total bytes written (compressed): N',
    ]);
    expect(lines.slice(5)).toEqual(['Verifying that packed image matches digest', 'Packing successful!']);
    expect(existsSync(pair.minimal)).toBe(true);
    // The full ISO is still a pristine live ISO.
    expect(ok(await runCli(['iso', 'kargs', 'show', pair.full])).out).toBe(fullKargs);

    const out = join(dir, 'out.iso');
    const rootfs = join(dir, 'rootfs.img');
    ok(await runCli(['iso', 'extract', 'minimal-iso', '--output-rootfs', rootfs, pair.full, out]));
    expect(sha256(rootfs)).toBe(sha256(pair.rootfs));
    const outBytes = readFileSync(out);
    changedOnlyIn(outBytes, minimalBytes, pair.editable);
    const expected = pair.kargs.replace('coreos.liveiso=TESTLIVE ', '');
    expect(ok(await runCli(['iso', 'kargs', 'show', out])).out).toBe(`${expected}\n`);
    expect(ok(await runCli(['iso', 'kargs', 'show', '--default', out])).out).toBe(`${expected}\n`);
    const stdout = ok(await runCli(['iso', 'extract', 'minimal-iso', pair.full])).stdout;
    expect(sha256(stdout)).toBe(sha256(outBytes));

    const url = ok(await runCli(['iso', 'extract', 'minimal-iso', '--rootfs-url', 'http://10.0.0.1/rootfs.img', pair.full])).stdout;
    const urlIso = join(dir, 'url.iso');
    writeFileSync(urlIso, url);
    expect(ok(await runCli(['iso', 'kargs', 'show', urlIso])).out).toBe(`${expected} coreos.live.rootfs_url=http://10.0.0.1/rootfs.img\n`);
    changedOnlyIn(url, minimalBytes, pair.editable);
  });

  it('NestOS layout: NESTOS/MINISO.DAT round-trips and the nestos.* kargs are edited', async () => {
    const dir = tmpDir();
    const pair = await buildPair(dir, 'nestos');
    const minimalBytes = readFileSync(pair.minimal);
    ok(await runCli(['pack', 'minimal-iso', pair.full, pair.minimal]));
    const found = await withIso(pair.full, async (iso) => (await iso.getFile('NESTOS/MINISO.DAT')).length);
    expect(found).toBe(128 * 1024);
    const rootfs = join(dir, 'rootfs.img');
    const out = ok(
      await runCli(['iso', 'extract', 'minimal-iso', '--output-rootfs', rootfs, '--rootfs-url', 'http://h/r.img', pair.full]),
    ).stdout;
    expect(sha256(rootfs)).toBe(sha256(pair.rootfs));
    changedOnlyIn(out, minimalBytes, pair.editable);
    const outIso = join(dir, 'out.iso');
    writeFileSync(outIso, out);
    const expected = pair.kargs.replace('nestos.liveiso=TESTLIVE ', '');
    expect(ok(await runCli(['iso', 'kargs', 'show', '--default', outIso])).out).toBe(`${expected}\n`);
    expect(ok(await runCli(['iso', 'kargs', 'show', outIso])).out).toBe(`${expected} nestos.live.rootfs_url=http://h/r.img\n`);
    const file = join(dir, 'file.iso');
    ok(await runCli(['iso', 'extract', 'minimal-iso', '--rootfs-url', 'http://h/r.img', pair.full, file]));
    expect(sha256(file)).toBe(sha256(out));
  });

  it('a minimal ISO without the live-ISO karg is refused by extraction, naming the family karg', async () => {
    const dir = tmpDir();
    const pair = await buildPair(dir, 'nestos', 128 * 1024, 'ignition.firstboot ignition.platform.id=metal coreos.liveiso=X');
    ok(await runCli(['pack', 'minimal-iso', pair.full, pair.minimal]));
    const out = join(dir, 'out.iso');
    const r = await runCli(['iso', 'extract', 'minimal-iso', pair.full, out]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('Error: modifying miniso kernel args\n\nCaused by:\n    minimal ISO does not have nestos.liveiso= karg\n');
    expect(existsSync(out)).toBe(false);
  });

  it('--consume deletes the minimal ISO after packing', async () => {
    const dir = tmpDir();
    const pair = await buildPair(dir, 'coreos');
    const minimalHash = sha256(pair.minimal);
    ok(await runCli(['pack', 'minimal-iso', '--consume', pair.full, pair.minimal]));
    expect(existsSync(pair.minimal)).toBe(false);
    const out = ok(await runCli(['iso', 'extract', 'minimal-iso', pair.full])).stdout;
    expect(out.length).toBeGreaterThan(0);
    expect(sha256(out)).not.toBe(minimalHash); // kargs edited, and nothing else (checked above)
  });

  it('refusals: a data file too small, a file missing from the full ISO, a different length; the full ISO is unchanged', async () => {
    const dir = tmpDir();
    const small = await buildPair(join(dir, 'a'), 'coreos', 64);
    const before = sha256(small.full);
    const r = await runCli(['pack', 'minimal-iso', small.full, small.minimal]);
    expect(r.status).toBe(1);
    expect(
      r.stderr.endsWith(
        'Verifying that packed image matches digest\nError: writing COREOS/MINISO.DAT\n\nCaused by:\n    collision with end of file MINISO.DAT at offset 64\n',
      ),
    ).toBe(true);
    expect(sha256(small.full)).toBe(before);

    const pair = await buildPair(join(dir, 'b'), 'coreos');
    const fullBefore = sha256(pair.full);
    // Swap roles: the "minimal" side now has files (rootfs, miniso.dat) the other lacks.
    const swapped = await runCli(['pack', 'minimal-iso', pair.minimal, pair.full]);
    expect(swapped.status).toBe(1);
    expect(swapped.stderr).toMatch(
      /^Error: looking up 'COREOS\/MINISO.DAT'\n\nCaused by:\n {4}no record for MINISO.DAT in directory COREOS\n$/,
    );
    const other = join(dir, 'other.iso');
    const tree = join(dir, 'other');
    mkdirSync(join(tree, 'images'), { recursive: true });
    writeFileSync(join(tree, 'images/extra.bin'), 'x');
    execFileSync('xorriso', ['-as', 'mkisofs', '-quiet', '-o', other, tree], { stdio: ['ignore', 'ignore', 'pipe'] });
    packFails(await runCli(['pack', 'minimal-iso', pair.full, other]), 'missing minimal file IMAGES/EXTRA.BIN in full ISO');
    writeFileSync(join(tree, 'images/extra.bin'), '');
    rmSync(join(tree, 'images/extra.bin'));
    mkdirSync(join(tree, 'images/pxeboot'));
    writeFileSync(join(tree, 'images/pxeboot/vmlinuz'), 'short');
    execFileSync('xorriso', ['-as', 'mkisofs', '-quiet', '-o', other, tree], { stdio: ['ignore', 'ignore', 'pipe'] });
    packFails(
      await runCli(['pack', 'minimal-iso', pair.full, other]),
      'File IMAGES/PXEBOOT/VMLINUZ has different lengths in full and minimal ISOs',
    );
    expect(sha256(pair.full)).toBe(fullBefore);
  });

  it('is hidden from the top-level help', async () => {
    const r = ok(await runCli(['--help']));
    expect(r.out).not.toContain('pack');
    expect(ok(await runCli(['pack', 'minimal-iso', '--help'])).out).toContain('--consume');
  });
});
