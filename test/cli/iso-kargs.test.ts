// `iso kargs modify|reset|show` (SPEC 8.3 R15-R21, 8.8 R40) and the SPEC 7.1 hashes.

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AS_COREOS, runCli } from '../helpers/cli.js';
import { needs } from '../helpers/env.js';
import { tmpDir } from '../helpers/tmp.js';
import { KARG_FIXTURES, golden, sha256 } from '../live/fixture-iso.js';
import { NESTOS, NESTOS_GENISO, failsWith, isFixture, ok, pristine, saveStdout, threeModes, type IsoUnderTest } from './iso-helpers.js';

interface KargsInfo {
  length: number;
  default: string;
  kargs: { offset: number; length: number; pad?: string; end?: string }[];
}

async function kargsInfo(iso: string): Promise<KargsInfo> {
  return JSON.parse(ok(await runCli(['dev', 'show', 'iso', '--kargs', iso])).out) as KargsInfo;
}

async function show(iso: string, ...flags: string[]): Promise<string> {
  return ok(await runCli(['iso', 'kargs', 'show', ...flags, iso])).out;
}

const ISOS: IsoUnderTest[] = [...KARG_FIXTURES, NESTOS, NESTOS_GENISO];

describe.skipIf(needs({ tools: ['xz', 'xorriso', 'genisoimage', 'cpio', 'gzip'] }))('iso kargs', () => {
  for (const name of ISOS) {
    describe(name, () => {
      const dir = tmpDir();
      const base = sha256(readFileSync(pristine(name)));

      it('show prints the current and default kargs', async () => {
        const current = await show(pristine(name));
        const defaults = await show(pristine(name), '--default');
        expect(current).toBe(defaults);
        expect(current).not.toContain('foobar');
        if (isFixture(name)) {
          expect(current).toBe(golden(`${name}.iso-kargs-show.txt`));
          expect(defaults).toBe(golden(`${name}.iso-kargs-show-default.txt`));
        }
      });

      it('modify round-trips to the pristine bytes in every mode (R16-R18, R20)', async () => {
        const m = await threeModes(pristine(name), dir, 'mod', ['iso', 'kargs', 'modify', '-a', 'foobar=oldval', '-a', 'dodo']);
        expect(new Set(m.hashes).size).toBe(1);
        const modified = saveStdout(m.stream, join(dir, 'modified.iso'));
        const defaults = await show(pristine(name), '-d');
        expect(await show(modified)).toBe(`${defaults.trimEnd()} foobar=oldval dodo\n`);
        expect(await show(modified, '--default')).toBe(defaults);

        const back = await runCli(['iso', 'kargs', 'modify', '-d', 'foobar=oldval', '-d', 'dodo', modified, '-o', '-']);
        expect(sha256(ok(back).stdout)).toBe(base);

        const replaced = saveStdout(
          await runCli(['iso', 'kargs', 'modify', '-r', 'foobar=oldval=newval', modified, '-o', '-']),
          join(dir, 'replaced.iso'),
        );
        expect(await show(replaced)).toBe(`${defaults.trimEnd()} foobar=newval dodo\n`);
        const out = join(dir, 'replaced-back.iso');
        ok(await runCli(['iso', 'kargs', 'modify', '-d', 'foobar=newval', '-d', 'dodo', replaced, '-o', out]));
        expect(sha256(readFileSync(out))).toBe(base);

        const reset = await threeModes(modified, dir, 'reset', ['iso', 'kargs', 'reset']);
        expect(reset.hashes).toEqual([base, base, base]);
      });

      it('writes the documented area bytes (R21)', async () => {
        const out = saveStdout(
          await runCli(['iso', 'kargs', 'modify', '-a', 'foobar=val', pristine(name), '-o', '-']),
          join(dir, 'r21.iso'),
        );
        const info = await kargsInfo(out);
        const data = readFileSync(out);
        for (const region of info.kargs) {
          const text = `${info.default} foobar=val${region.end ?? '\n'}`;
          const pad = region.pad ?? '#';
          const expected = text + pad.repeat(region.length - Buffer.byteLength(text));
          expect(data.subarray(region.offset, region.offset + region.length).toString('utf8')).toBe(expected);
        }
      });

      it('refuses overlong kargs and accepts the longest that fits (R19)', async () => {
        const info = await kargsInfo(pristine(name));
        const usable = info.length - (Buffer.byteLength(info.default) + 1) - 1;
        const fits = await runCli(['iso', 'kargs', 'modify', '-a', 'k'.repeat(usable), pristine(name), '-o', '-']);
        const fitted = saveStdout(fits, join(dir, 'fits.iso'));
        expect(await show(fitted)).toMatch(new RegExp(` k{${usable}}\\n$`));
        const m = await threeModes(pristine(name), dir, 'long', ['iso', 'kargs', 'modify', '-a', 'k'.repeat(usable + 1)]);
        for (const r of [m.stream, m.file, m.inPlace]) failsWith(r, `kargs too large for area: ${info.length + 1} vs ${info.length}`);
      });
    });
  }

  it('SPEC 7.1 hashes after modify -a foobar=oldval -a dodo', async () => {
    const cases: [IsoUnderTest, string, string][] = [
      [
        'embed-areas-2021-09',
        '62d2ccb2f9998ba7a9d88787690b49d0e6cda3b96ff3bea265dd4e30a2e1d472',
        '61cf4e52c369dc6552776e244be7e3cf9308f5da930ed6729163b62b98a44e98',
      ],
      [
        'embed-areas-2023-07.x86_64',
        'a4079e6ffe863a6ab4a1f6c3f8e52c9aa84619f770c1aaba9137bddb6ffc6519',
        '2997accf9d1d9a486d86e24f1e91492840b533126731f3fbab4971e305c8d8d2',
      ],
    ];
    for (const [name, before, after] of cases) {
      expect(sha256(readFileSync(pristine(name)))).toBe(before);
      const r = ok(await runCli(['iso', 'kargs', 'modify', '-a', 'foobar=oldval', '-a', 'dodo', pristine(name), '-o', '-']));
      expect(sha256(r.stdout)).toBe(after);
    }
  });

  it('s390x areas are NUL-padded', async () => {
    const dir = tmpDir();
    const out = saveStdout(
      await runCli(['iso', 'kargs', 'modify', '-a', 'foobar=val', pristine('embed-areas-2023-07.s390x'), '-o', '-']),
      join(dir, 's390x.iso'),
    );
    const area = readFileSync(out).subarray(138368, 138368 + 896);
    const text = `${golden('embed-areas-2023-07.s390x.iso-kargs-show-default.txt').trimEnd()} foobar=val`;
    expect(area.subarray(0, text.length).toString()).toBe(text);
    expect(area.subarray(text.length).every((b) => b === 0)).toBe(true);
  });

  it('bad replace syntax is refused', async () => {
    failsWith(
      await runCli(['iso', 'kargs', 'modify', '-r', 'a=b', pristine('embed-areas-2022-09'), '-o', '-']),
      'Wrong input, format should be: KEY=OLD=NEW',
    );
  });

  for (const name of ['embed-areas-2020-09', 'embed-areas-2023-03.s390x'] as const) {
    it(`${name}: every kargs command fails (R40)`, async () => {
      const dir = tmpDir();
      const message = 'No karg embed areas found; old or corrupted CoreOS ISO image.';
      for (const args of [['modify', '-a', 'x'], ['reset']]) {
        const m = await threeModes(pristine(name), dir, args[0] ?? 'x', ['iso', 'kargs', ...args], undefined, AS_COREOS);
        for (const r of [m.stream, m.file, m.inPlace]) failsWith(r, message);
      }
      failsWith(await runCli(['iso', 'kargs', 'show', pristine(name)], AS_COREOS), message);
      failsWith(await runCli(['iso', 'kargs', 'show', '-d', pristine(name)], AS_COREOS), message);
      const nestos = 'No karg embed areas found; old or corrupted NestOS ISO image.';
      failsWith(await runCli(['iso', 'kargs', 'show', pristine(name)]), nestos);
      failsWith(await runCli(['iso', 'kargs', 'modify', '-a', 'x', '-o', '-', pristine(name)]), nestos);
      expect(ok(await runCli(['dev', 'show', 'iso', '--kargs', pristine(name)])).out).toBe('null\n');
    });
  }
});
