// `iso network embed|extract|remove` (SPEC 8.2 R9-R14, 8.8 R41).

import { describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { needs } from '../helpers/env.js';
import { tmpDir } from '../helpers/tmp.js';
import { NETWORK_FIXTURES, sha256 } from '../live/fixture-iso.js';
import { NESTOS, NESTOS_GENISO, failsWith, ok, pristine, saveStdout, threeModes, type IsoUnderTest } from './iso-helpers.js';

const ISOS: IsoUnderTest[] = [...NETWORK_FIXTURES, NESTOS, NESTOS_GENISO];
const CONFIG = Buffer.from('{"ignition":{"version":"3.3.0"}}\n');

function keyfiles(dir: string): { a: string; b: string } {
  const a = join(dir, 'a.nmconnection');
  const b = join(dir, 'b.nmconnection');
  writeFileSync(a, '[connection]\nid=a\ntype=ethernet\n');
  writeFileSync(b, '[connection]\nid=b\ntype=ethernet\ninterface-name=eth1\n');
  return { a, b };
}

describe.skipIf(needs({ tools: ['xz', 'xorriso', 'genisoimage', 'cpio', 'gzip'] }))('iso network', () => {
  for (const name of ISOS) {
    describe(name, () => {
      const dir = tmpDir();
      const { a, b } = keyfiles(dir);
      const base = sha256(readFileSync(pristine(name)));

      it('embeds, extracts, refuses without -f, removes back to pristine', async () => {
        const m = await threeModes(pristine(name), dir, 'net', ['iso', 'network', 'embed', '-k', b, '-k', a]);
        expect(new Set(m.hashes).size).toBe(1);
        const embedded = saveStdout(m.stream, join(dir, 'net.iso'));

        const out = join(dir, 'extracted');
        mkdirSync(out);
        const extracted = ok(await runCli(['iso', 'network', 'extract', '-C', out, embedded]));
        expect(extracted.out).toBe(`${join(out, 'a.nmconnection')}\n${join(out, 'b.nmconnection')}\n`);
        expect(readdirSync(out).sort()).toEqual(['a.nmconnection', 'b.nmconnection']);
        expect(readFileSync(join(out, 'a.nmconnection')).equals(readFileSync(a))).toBe(true);
        expect(readFileSync(join(out, 'b.nmconnection')).equals(readFileSync(b))).toBe(true);

        const printed = ok(await runCli(['iso', 'network', 'extract', embedded])).out;
        expect(printed).toBe(
          `########## a.nmconnection ##########\n${readFileSync(a, 'utf8')}\n` +
            `########## b.nmconnection ##########\n${readFileSync(b, 'utf8')}`,
        );

        const again = await threeModes(embedded, dir, 'again', ['iso', 'network', 'embed', '-k', a]);
        for (const r of [again.stream, again.file, again.inPlace]) {
          failsWith(r, 'This ISO image already has embedded network settings; use -f to force.');
        }
        const forced = await threeModes(embedded, dir, 'forced', ['iso', 'network', 'embed', '-f', '-k', a]);
        expect(new Set(forced.hashes).size).toBe(1);

        const removed = await threeModes(embedded, dir, 'rm', ['iso', 'network', 'remove']);
        expect(removed.hashes).toEqual([base, base, base]);
      });

      it('keeps Ignition and network members independent (R13)', async () => {
        const withConfig = saveStdout(
          await runCli(['iso', 'ignition', 'embed', pristine(name), '-o', '-'], { input: CONFIG }),
          join(dir, 'cfg.iso'),
        );
        failsWith(await runCli(['iso', 'network', 'extract', withConfig]), 'No embedded network settings.');
        const both = saveStdout(await runCli(['iso', 'network', 'embed', '-k', a, withConfig, '-o', '-']), join(dir, 'both.iso'));
        expect(ok(await runCli(['iso', 'ignition', 'show', both])).stdout.equals(CONFIG)).toBe(true);
        const noNet = saveStdout(await runCli(['iso', 'network', 'remove', both, '-o', '-']), join(dir, 'nonet.iso'));
        expect(ok(await runCli(['iso', 'ignition', 'show', noNet])).stdout.equals(CONFIG)).toBe(true);
        const empty = await runCli(['iso', 'ignition', 'remove', noNet, '-o', '-']);
        expect(sha256(ok(empty).stdout)).toBe(base);
      });

      it('refuses two keyfiles with the same name', async () => {
        const other = join(dir, 'other');
        mkdirSync(other, { recursive: true });
        writeFileSync(join(other, 'a.nmconnection'), '[connection]\n');
        const r = await runCli(['iso', 'network', 'embed', '-k', a, '-k', join(other, 'a.nmconnection'), pristine(name), '-o', '-']);
        failsWith(r, "multiple input files named 'a.nmconnection'");
      });
    });
  }

  it('2021-09 does not support network settings (R41)', async () => {
    const dir = tmpDir();
    const { a } = keyfiles(dir);
    const m = await threeModes(pristine('embed-areas-2021-09'), dir, 'x', ['iso', 'network', 'embed', '-k', a]);
    for (const r of [m.stream, m.file, m.inPlace]) failsWith(r, 'This OS image does not support customizing network settings.');
  });
});
