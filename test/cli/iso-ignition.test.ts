// `iso ignition embed|show|remove` on every fixture era and on our own
// xorriso-built layout (SPEC 8.1 R1-R8).

import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { needs } from '../helpers/env.js';
import { tmpDir } from '../helpers/tmp.js';
import { sha256 } from '../live/fixture-iso.js';
import { ALL_ISOS, copyOf, failsWith, ok, pristine, saveStdout, threeModes } from './iso-helpers.js';

const CONFIG = Buffer.from('{"ignition": {"version": "3.3.0"}, "passwd": {"users": [{"name": "nest"}]}}\n');
const OTHER = Buffer.from('{"ignition":{"version":"3.4.0"}}\n');

/** The area bytes decoded from the shell: dd | xz -dc | cpio -i --to-stdout config.ign. */
function decodeAreaWithShell(iso: string, offset: number, length: number): Buffer {
  const script = 'dd if="$1" bs=1 skip="$2" count="$3" status=none | xz -dc | cpio -i --quiet --to-stdout config.ign';
  return execFileSync('sh', ['-c', script, 'sh', iso, String(offset), String(length)]);
}

describe.skipIf(needs({ tools: ['xz', 'cpio', 'xorriso', 'genisoimage', 'gzip'] }))('iso ignition', () => {
  for (const name of ALL_ISOS) {
    describe(name, () => {
      const dir = tmpDir();
      const configFile = join(dir, 'config.ign');
      writeFileSync(configFile, CONFIG);
      const base = sha256(readFileSync(pristine(name)));

      it('embeds identically in the three modes; show and the shell decode give the config back', async () => {
        const m = await threeModes(pristine(name), dir, 'embed', ['iso', 'ignition', 'embed', '-i', configFile]);
        // -o - reads the config from stdin, as upstream's test does.
        const fromStdin = await runCli(['iso', 'ignition', 'embed', pristine(name), '-o', '-'], { input: CONFIG });
        for (const r of [m.stream, m.file, m.inPlace, fromStdin]) ok(r);
        expect(new Set([...m.hashes, sha256(fromStdin.stdout)]).size).toBe(1);
        expect(m.hashes[0]).not.toBe(base);

        const embedded = saveStdout(fromStdin, join(dir, 'embedded.iso'));
        const show = ok(await runCli(['iso', 'ignition', 'show', embedded]));
        expect(show.stdout.equals(CONFIG)).toBe(true);

        const area = JSON.parse(ok(await runCli(['dev', 'show', 'iso', '--ignition', embedded])).out) as {
          offset: number;
          length: number;
        };
        expect(decodeAreaWithShell(embedded, area.offset, area.length).equals(CONFIG)).toBe(true);
        const bytes = readFileSync(embedded).subarray(area.offset, area.offset + area.length);
        // xz stream header with the CRC32 check flags (00 01).
        expect(bytes.subarray(0, 8).toString('hex')).toBe('fd377a585a000001');
      });

      it('refuses a second embed without -f in every mode, accepts it with -f', async () => {
        const embedded = saveStdout(
          await runCli(['iso', 'ignition', 'embed', '-i', configFile, pristine(name), '-o', '-']),
          join(dir, 'once.iso'),
        );
        const refused = await threeModes(embedded, dir, 'again', ['iso', 'ignition', 'embed'], OTHER);
        for (const r of [refused.stream, refused.file, refused.inPlace]) {
          failsWith(r, 'This ISO image already has an embedded Ignition config; use -f to force.');
        }
        const forced = await threeModes(embedded, dir, 'forced', ['iso', 'ignition', 'embed', '-f'], OTHER);
        expect(new Set(forced.hashes).size).toBe(1);
        const out = saveStdout(forced.stream, join(dir, 'forced.iso'));
        expect(ok(await runCli(['iso', 'ignition', 'show', out])).stdout.equals(OTHER)).toBe(true);

        const removed = await threeModes(embedded, dir, 'remove', ['iso', 'ignition', 'remove']);
        expect(removed.hashes).toEqual([base, base, base]);
        failsWith(await runCli(['iso', 'ignition', 'show', pristine(name)]), 'No embedded Ignition config.');
      });

      it('refuses an overlarge config in every mode', async () => {
        const area = JSON.parse(ok(await runCli(['dev', 'show', 'iso', '--ignition', pristine(name)])).out) as {
          length: number;
        };
        const big = Buffer.from(
          JSON.stringify({
            ignition: { version: '3.3.0' },
            storage: { files: [{ path: '/big', contents: { source: `data:;base64,${randomBytes(area.length).toString('base64')}` } }] },
          }) + '\n',
        );
        const m = await threeModes(pristine(name), dir, 'big', ['iso', 'ignition', 'embed'], big);
        for (const r of [m.stream, m.file, m.inPlace]) failsWith(r, 'Compressed initramfs is too large: ');
        expect(m.stream.stderr).toMatch(new RegExp(`too large: \\d+ > ${area.length}\\n`));
      });
    });
  }

  it('works with the coreKarg magic zeroed (R8)', async () => {
    const dir = tmpDir();
    const iso = copyOf('embed-areas-2021-09', dir, 'zeroed.iso');
    const data = readFileSync(iso);
    data.fill(0, 32672, 32680);
    writeFileSync(iso, data);
    const m = await threeModes(iso, dir, 'z', ['iso', 'ignition', 'embed'], CONFIG);
    expect(new Set(m.hashes).size).toBe(1);
    expect(m.hashes[0]).toBeDefined();
  });

  it('hidden aliases print their notices', async () => {
    const dir = tmpDir();
    const iso = copyOf('embed-areas-2022-09', dir, 'alias.iso');
    const cfg = join(dir, 'c.ign');
    writeFileSync(cfg, CONFIG);
    const embed = ok(await runCli(['iso', 'embed', '-c', cfg, iso]));
    expect(embed.stderr).toBe('`iso embed` is deprecated; use `iso ignition embed`.  Continuing.\n');
    const show = ok(await runCli(['iso', 'show', iso]));
    expect(show.stderr).toBe('`iso show` is deprecated; use `iso ignition show`.  Continuing.\n');
    expect(show.stdout.equals(CONFIG)).toBe(true);
    const remove = ok(await runCli(['iso', 'remove', iso]));
    expect(remove.stderr).toBe('`iso remove` is deprecated; use `iso ignition remove`.  Continuing.\n');
    expect(sha256(readFileSync(iso))).toBe(sha256(readFileSync(pristine('embed-areas-2022-09'))));
  });
});
