// `iso extract pxe` (SPEC 4.12, 8.6 R29, 8.8 R43): the PXEBOOT files come out
// byte for byte, named `<ISO stem>-<lower-cased name>`, never overwriting.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AS_COREOS, runCli } from '../helpers/cli.js';
import { needs } from '../helpers/env.js';
import { tmpDir } from '../helpers/tmp.js';
import { ISO_FIXTURES, pristineIso, sha256 } from '../live/fixture-iso.js';
import { failsWith, ok } from './iso-helpers.js';

/** What xorriso (not our reader) extracts from the ISO's images/pxeboot, by lower-cased name. */
function xorrisoPxeFiles(iso: string, dir: string): Map<string, string> {
  mkdirSync(dir);
  execFileSync('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', '/images/pxeboot', dir], { stdio: 'pipe' });
  const out = new Map<string, string>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isFile()) out.set(entry.name.toLowerCase(), sha256(readFileSync(join(dir, entry.name))));
  }
  return out;
}

describe.skipIf(needs({ tools: ['xz', 'xorriso'] }))('iso extract pxe', () => {
  it('PXE artifacts built into an ISO come out byte-identical, directories skipped (R29)', async () => {
    const dir = tmpDir();
    const tree = join(dir, 'tree');
    const pxe = join(tree, 'images', 'pxeboot');
    mkdirSync(join(pxe, 'subdir'), { recursive: true });
    // Standalone artifacts of several blocks and odd lengths, as a build would publish them.
    const artifacts = { vmlinuz: randomBytes(1_234_567), 'initrd.img': randomBytes(3 * (1 << 20) + 5), 'rootfs.img': randomBytes(700_001) };
    for (const [name, data] of Object.entries(artifacts)) writeFileSync(join(pxe, name), data);
    writeFileSync(join(pxe, 'subdir', 'nested'), 'not extracted\n');
    const iso = join(dir, 'nestos-24.03-live.x86_64.iso');
    execFileSync('xorriso', ['-as', 'mkisofs', '-quiet', '-o', iso, '-V', 'NestOS', tree], { stdio: 'pipe' });

    const out = join(dir, 'out', 'nested');
    const r = ok(await runCli(['iso', 'extract', 'pxe', '-o', out, iso]));
    const names = ['initrd.img', 'rootfs.img', 'vmlinuz']; // directory order: ISO 9660 sorts names
    expect(r.out).toBe(names.map((n) => `${out}/nestos-24.03-live.x86_64-${n}\n`).join(''));
    expect(readdirSync(out).sort()).toEqual(names.map((n) => `nestos-24.03-live.x86_64-${n}`));
    for (const [name, data] of Object.entries(artifacts)) {
      expect(sha256(join(out, `nestos-24.03-live.x86_64-${name}`))).toBe(sha256(data));
    }
  });

  for (const name of ISO_FIXTURES) {
    it(`${name}: every PXEBOOT file, as xorriso reads it, into the current directory`, async () => {
      const dir = tmpDir();
      const iso = join(dir, `${name}.iso`);
      copyFileSync(pristineIso(name), iso);
      const expected = xorrisoPxeFiles(iso, join(dir, 'xorriso'));
      expect(expected.size).toBeGreaterThanOrEqual(3);
      const cwd = join(dir, 'cwd');
      mkdirSync(cwd);
      const r = ok(await runCli(['iso', 'extract', 'pxe', iso], { cwd }));
      const printed = r.out.trimEnd().split('\n');
      expect(printed.map((p) => p.slice(`./${name}-`.length)).sort()).toEqual([...expected.keys()].sort());
      for (const p of printed) {
        expect(p.startsWith(`./${name}-`)).toBe(true);
        expect(sha256(join(cwd, p))).toBe(expected.get(p.slice(`./${name}-`.length)));
      }
    });
  }

  it('refuses to overwrite an existing output and leaves it alone', async () => {
    const dir = tmpDir();
    const iso = join(dir, 'live.iso');
    copyFileSync(pristineIso('embed-areas-2023-07.x86_64'), iso);
    const existing = join(dir, 'live-initrd.img');
    writeFileSync(existing, 'mine\n');
    const r = await runCli(['iso', 'extract', 'pxe', '-o', `${dir}/`, iso]);
    failsWith(r, `Error: opening ${dir}/live-initrd.img\n\nCaused by:\n    File exists (os error 17)\n`);
    expect(r.out).toBe(`${dir}/live-initrd.img\n`);
    expect(readFileSync(existing, 'utf8')).toBe('mine\n');
    expect(readdirSync(dir).sort()).toEqual(['live-initrd.img', 'live.iso']);
  });

  it('an ISO without IMAGES/PXEBOOT is not a CoreOS ISO (R43)', async () => {
    const dir = tmpDir();
    const r = await runCli(['iso', 'extract', 'pxe', '-o', join(dir, 'out'), pristineIso('synthetic')], AS_COREOS);
    failsWith(r, 'Error: Unrecognized CoreOS ISO image.\n\nCaused by:\n    intermediate directory IMAGES does not exist\n');
    expect(existsSync(join(dir, 'out'))).toBe(false);
    const n = await runCli(['iso', 'extract', 'pxe', '-o', join(dir, 'out'), pristineIso('synthetic')]);
    failsWith(n, 'Error: Unrecognized NestOS ISO image.\n\nCaused by:\n    intermediate directory IMAGES does not exist\n');
  });
});
