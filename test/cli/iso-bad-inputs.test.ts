// Junk, truncated and damaged ISOs: one clear error, no stack trace, nothing changed.

import { describe, expect, it } from 'vitest';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AS_COREOS, runCli } from '../helpers/cli.js';
import { needs } from '../helpers/env.js';
import { tmpDir } from '../helpers/tmp.js';
import { sha256 } from '../live/fixture-iso.js';
import { NESTOS, failsWith, pristine, threeModes, type IsoUnderTest } from './iso-helpers.js';

const CONFIG = '{"ignition":{"version":"3.3.0"}}\n';

/** A copy of `name` with `from` replaced by `to` (same length) inside the image. */
function patched(name: IsoUnderTest, dir: string, as: string, from: string, to: string): string {
  expect(to.length).toBe(from.length);
  const data = readFileSync(pristine(name));
  const at = data.indexOf(from);
  expect(at).toBeGreaterThan(0);
  data.write(to, at);
  const path = join(dir, as);
  writeFileSync(path, data);
  return path;
}

describe.skipIf(needs({ tools: ['xz', 'xorriso'] }))('bad inputs', () => {
  const dir = tmpDir();

  it('not an ISO', async () => {
    const junk = join(dir, 'junk.iso');
    writeFileSync(junk, 'hello, this is not an ISO image\n'.repeat(2000));
    for (const args of [
      ['iso', 'ignition', 'show'],
      ['iso', 'kargs', 'show'],
      ['dev', 'show', 'iso'],
      ['iso', 'ignition', 'embed', '-o', '-'],
    ]) {
      const r = await runCli([...args, junk], { input: CONFIG });
      failsWith(r, 'Error: parsing ISO9660 image\n');
      expect(r.stdout.length).toBe(0);
    }
    const r = await runCli(['iso', 'ignition', 'embed', junk], { input: CONFIG });
    expect(r.stderr).toMatch(/Error: parsing ISO9660 image\n\nCaused by:\n {4}0: getting volume descriptor #\d+\n/);
    expect(readFileSync(junk, 'utf8')).toBe('hello, this is not an ISO image\n'.repeat(2000));
  });

  it('a truncated ISO', async () => {
    const path = join(dir, 'truncated.iso');
    writeFileSync(path, readFileSync(pristine('embed-areas-2023-07.x86_64')).subarray(0, 600_000));
    const before = sha256(readFileSync(path));
    const r = await runCli(['iso', 'ignition', 'embed', path], { input: CONFIG });
    expect(r.stderr).toBe('Error: parsing ISO9660 image\n\nCaused by:\n    ISO image is incomplete\n');
    expect(sha256(readFileSync(path))).toBe(before);
  });

  it('-o with a damaged ISO: the ISO error, not the output one, and no output or temporary file (the copy starts early)', async () => {
    const path = join(dir, 'truncated-o.iso');
    writeFileSync(path, readFileSync(pristine('embed-areas-2023-07.x86_64')).subarray(0, 600_000));
    const outDir = join(dir, 'out-damaged');
    mkdirSync(outDir);
    const r = await runCli(['iso', 'ignition', 'embed', '-o', join(outDir, 'out.iso'), path], { input: CONFIG });
    expect(r.stderr).toBe('Error: parsing ISO9660 image\n\nCaused by:\n    ISO image is incomplete\n');
    // An output that exists: still the ISO's error first.
    writeFileSync(join(outDir, 'there.iso'), 'keep');
    const r2 = await runCli(['iso', 'ignition', 'embed', '-o', join(outDir, 'there.iso'), path], { input: CONFIG });
    expect(r2.stderr).toBe('Error: parsing ISO9660 image\n\nCaused by:\n    ISO image is incomplete\n');
    expect(readdirSync(outDir)).toEqual(['there.iso']);
    expect(readFileSync(join(outDir, 'there.iso'), 'utf8')).toBe('keep');
  });

  it('a missing file', async () => {
    const r = await runCli(['iso', 'kargs', 'show', join(dir, 'nope.iso')]);
    expect(r.stderr).toBe(`Error: opening ${join(dir, 'nope.iso')}\n\nCaused by:\n    No such file or directory (os error 2)\n`);
  });

  it('a corrupt kargs.json (fixture and own layout)', async () => {
    for (const [name, from] of [
      ['embed-areas-2021-09', '"default": "'],
      [NESTOS, '"default":"'],
    ] as const) {
      const path = patched(name, dir, `badkargs-${name}.iso`, from, from.replace('"default"', '"default!'));
      const m = await threeModes(path, dir, `bk-${name}`, ['iso', 'kargs', 'modify', '-a', 'x']);
      for (const r of [m.stream, m.file, m.inPlace]) failsWith(r, 'Error: decoding kargs embed area info\n');
    }
  });

  it('an embed area outside the file', async () => {
    const path = patched(NESTOS, dir, 'outside.iso', '"offset":8192,"length":65536', '"offset":99999999,"length":9');
    const m = await threeModes(path, dir, 'out', ['iso', 'ignition', 'embed'], CONFIG, AS_COREOS);
    for (const r of [m.stream, m.file, m.inPlace]) {
      expect(r.stderr).toBe(
        'Error: Unrecognized CoreOS ISO image.\n\nCaused by:\n    0: reading initrd embed area\n    1: failed to fill whole buffer\n',
      );
    }
  });

  it('an ISO without embed areas (R39)', async () => {
    const m = await threeModes(pristine('synthetic'), dir, 'syn', ['iso', 'ignition', 'embed'], CONFIG, AS_COREOS);
    for (const r of [m.stream, m.file, m.inPlace]) failsWith(r, 'Error: Unrecognized CoreOS ISO image.\n');
    const n = await threeModes(pristine('synthetic'), dir, 'syn-n', ['iso', 'ignition', 'embed'], CONFIG);
    for (const r of [n.stream, n.file, n.inPlace]) failsWith(r, 'Error: Unrecognized NestOS ISO image.\n');
  });

  it('-o onto an existing file fails with File exists and leaves it alone', async () => {
    const out = join(dir, 'exists.iso');
    writeFileSync(out, 'keep me');
    const r = await runCli(['iso', 'ignition', 'embed', pristine('embed-areas-2022-09'), '-o', out], { input: CONFIG });
    expect(r.stderr).toBe(`Error: persisting output file to ${out}\n\nCaused by:\n    File exists (os error 17)\n`);
    expect(readFileSync(out, 'utf8')).toBe('keep me');
  });
});
