// `iso extract minimal-iso` end to end (SPEC 4.13, 8.5 R23-R28): on every
// fixture with MINISO.DAT the output is the packed minimal ISO (its SHA-256 is
// the recorded one, checked on an independent unpack) changed only in the karg
// areas and kargs.json; file and stdout outputs are the same bytes; the rootfs
// comes out as xorriso reads it; refusals leave nothing behind.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordOffset } from '../../src/iso9660/directory.js';
import { parseMiniso } from '../../src/live/miniso.js';
import { unpackMiniso } from '../../src/live/miniso-unpack.js';
import { CLI, runCli, type CliResult } from '../helpers/cli.js';
import { needs } from '../helpers/env.js';
import { tmpDir } from '../helpers/tmp.js';
import { isoCopy, pristineIso, sha256, withIso, type IsoFixture } from '../live/fixture-iso.js';
import { failsWith, ok } from './iso-helpers.js';

/** Fixtures that have MINISO.DAT and karg areas (2023-03.s390x has no karg areas: refused below). */
const MINISO_ISOS: IsoFixture[] = [
  'embed-areas-2021-12',
  'embed-areas-2022-02',
  'embed-areas-2022-09',
  'embed-areas-2023-03.x86_64',
  'embed-areas-2023-07.x86_64',
  'embed-areas-2023-07.s390x',
];
const URL = 'https://example.com/rootfs';

/** The minimal ISO as the packer recorded it: our unpack, with its SHA-256 checked here. */
async function packedMinimal(iso: string): Promise<Buffer> {
  const data = await withIso(iso, async (fs) => parseMiniso(await fs.readFile(await fs.getFile('COREOS/MINISO.DAT'))));
  const chunks: Buffer[] = [];
  const handle = await open(iso, 'r');
  try {
    await unpackMiniso(data, handle, async (c) => {
      chunks.push(Buffer.from(c));
    });
  } finally {
    await handle.close();
  }
  const bytes = Buffer.concat(chunks);
  expect(createHash('sha256').update(bytes).digest('hex')).toBe(data.digest.toString('hex'));
  return bytes;
}

interface KargsJson {
  default: string;
  files: { path: string; offset: number; pad?: string; end?: string }[];
  size: number;
}

/** A file of an ISO as xorriso (not our reader) sees it. */
function xorrisoFile(iso: string, path: string, dir: string): Buffer {
  const out = join(dir, `x-${path.replaceAll('/', '_')}-${Math.random().toString(36).slice(2)}`);
  execFileSync('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', path, out], { stdio: 'pipe' });
  return readFileSync(out);
}

/** Byte ranges step 8 may change: each karg area and the kargs.json file. */
async function editableRanges(iso: string, kargs: KargsJson): Promise<[number, number][]> {
  return withIso(iso, async (fs) => {
    const ranges: [number, number][] = [];
    for (const f of kargs.files) {
      const start = recordOffset(await fs.getFile(f.path.toUpperCase())) + f.offset;
      ranges.push([start, start + kargs.size]);
    }
    const json = await fs.getFile('COREOS/KARGS.JSO');
    ranges.push([recordOffset(json), recordOffset(json) + json.length]);
    return ranges;
  });
}

/**
 * The expected output, built here from SPEC 4.13.1 step 8 alone: the recorded
 * minimal ISO with every karg area rewritten (kargs, end char, pad chars) and
 * kargs.json replaced by its pretty-printed form padded with spaces.
 */
async function expectedOutput(packed: Buffer, original: KargsJson, kargs: string, newDefault: string): Promise<Buffer> {
  const out = Buffer.from(packed);
  const iso = join(tmpDir(), 'packed.iso');
  writeFileSync(iso, packed);
  await withIso(iso, async (fs) => {
    for (const f of original.files) {
      const start = recordOffset(await fs.getFile(f.path.toUpperCase())) + f.offset;
      const text = Buffer.from(kargs + (f.end ?? '\n'));
      const area = Buffer.alloc(original.size, f.pad ?? '#');
      text.copy(area);
      area.copy(out, start);
    }
    const json = await fs.getFile('COREOS/KARGS.JSO');
    const files = original.files.map((f) => ({
      path: f.path,
      offset: f.offset,
      ...(f.pad !== undefined ? { pad: f.pad } : {}),
      ...(f.end !== undefined ? { end: f.end } : {}),
    }));
    const text = JSON.stringify({ default: newDefault, files, size: original.size }, null, 2);
    const area = Buffer.alloc(json.length, ' ');
    area.write(text);
    area.copy(out, recordOffset(json));
  });
  return out;
}

function onlyDir(dir: string): string[] {
  return readdirSync(dir).sort();
}

async function extract(args: string[], env: Record<string, string> = {}, as?: string): Promise<CliResult> {
  return runCli(['iso', 'extract', 'minimal-iso', ...args], as === undefined ? { env } : { env, as });
}

describe.skipIf(needs({ tools: ['xz', 'xorriso'] }))('iso extract minimal-iso', () => {
  for (const name of MINISO_ISOS) {
    it(`${name}: file and stdout outputs are the packed minimal ISO with the live-ISO karg dropped (R23, R24)`, async () => {
      const dir = tmpDir();
      const tmp = join(dir, 'tmp');
      mkdirSync(tmp);
      const iso = isoCopy(name, dir, 'full.iso');
      const before = sha256(iso);
      const out = join(dir, 'minimal.iso');
      ok(await extract([iso, out]));
      const stdout = ok(await extract([iso], { TMPDIR: tmp })).stdout;
      const dash = ok(await extract([iso, '-'], { TMPDIR: tmp })).stdout;
      const bytes = readFileSync(out);
      expect(sha256(stdout)).toBe(sha256(bytes));
      expect(sha256(dash)).toBe(sha256(bytes));
      expect(statSync(out).mode & 0o777).toBe(0o600);
      expect(sha256(iso)).toBe(before);
      expect(onlyDir(dir)).toEqual(['full.iso', 'minimal.iso', 'tmp']);
      expect(onlyDir(tmp)).toEqual([]);

      // Against the recorded minimal ISO, only the karg areas and kargs.json differ.
      const packed = await packedMinimal(iso);
      expect(bytes.length).toBe(packed.length);
      const kargsJson = xorrisoFile(out, '/coreos/kargs.json', dir).toString('utf8');
      const kargs = JSON.parse(kargsJson) as KargsJson;
      const ranges = await editableRanges(out, kargs);
      for (let i = 0; i < bytes.length; i++) {
        if (bytes[i] !== packed[i])
          expect(
            ranges.some(([a, b]) => i >= a && i < b),
            `byte ${i} changed`,
          ).toBe(true);
      }

      const inputDefault = ok(await runCli(['iso', 'kargs', 'show', '--default', iso])).out.trim();
      const liveIso = inputDefault.split(' ').find((t) => t.startsWith('coreos.liveiso='));
      expect(liveIso).toBeDefined();
      const expected = inputDefault
        .split(' ')
        .filter((t) => t !== liveIso)
        .join(' ');
      expect(ok(await runCli(['iso', 'kargs', 'show', out])).out).toBe(`${expected}\n`);
      expect(ok(await runCli(['iso', 'kargs', 'show', '--default', out])).out).toBe(`${expected}\n`);
      expect(kargs.default).toBe(expected);
      // Pretty-printed, then space-padded to the old length, as upstream rewrites it.
      expect(kargsJson).toMatch(/^\{\n {2}"default": "[^"]*",\n {2}"files": \[\n[\s\S]*\n {2}"size": \d+\n\} *$/);
      // Byte for byte: the recorded minimal ISO with exactly the step-8 edits.
      const packedKargs = JSON.parse(
        (await withIso(iso, async (fs) => fs.readFile(await fs.getFile('COREOS/KARGS.JSO')))).toString('utf8'),
      ) as KargsJson;
      const exact = await expectedOutput(packed, packedKargs, expected, expected);
      expect(sha256(bytes)).toBe(sha256(exact));
      const url = ok(await extract(['--rootfs-url', URL, iso])).stdout;
      expect(sha256(url)).toBe(sha256(await expectedOutput(packed, packedKargs, `${expected} coreos.live.rootfs_url=${URL}`, expected)));
    });

    it(`${name}: --output-rootfs and --rootfs-url; the URL karg lands in every karg area (R23, R25)`, async () => {
      const dir = tmpDir();
      const iso = isoCopy(name, dir, 'full.iso');
      const plain = ok(await extract([iso])).stdout;
      const rootfs = join(dir, 'rootfs.img');
      const out = join(dir, 'url.iso');
      ok(await extract(['--output-rootfs', rootfs, '--rootfs-url', URL, iso, out]));
      expect(sha256(rootfs)).toBe(sha256(xorrisoFile(iso, '/images/pxeboot/rootfs.img', dir)));
      const rootfs2 = join(dir, 'rootfs2.img');
      const withRootfs = ok(await extract(['--output-rootfs', rootfs2, iso])).stdout;
      expect(sha256(withRootfs)).toBe(sha256(plain));
      expect(sha256(rootfs2)).toBe(sha256(rootfs));
      const urlStdout = ok(await extract(['--rootfs-url', URL, iso])).stdout;
      expect(sha256(urlStdout)).toBe(sha256(out));

      const kargs = JSON.parse(xorrisoFile(out, '/coreos/kargs.json', dir).toString('utf8')) as KargsJson;
      const final = `${kargs.default} coreos.live.rootfs_url=${URL}`;
      expect(kargs.default).not.toContain('coreos.liveiso');
      expect(kargs.default).not.toContain('rootfs_url');
      expect(ok(await runCli(['iso', 'kargs', 'show', out])).out).toBe(`${final}\n`);
      expect(kargs.files.length).toBeGreaterThanOrEqual(1);
      for (const f of kargs.files) {
        const file = xorrisoFile(out, `/${f.path}`, dir);
        const area = file.subarray(f.offset, f.offset + kargs.size);
        const text = final + (f.end ?? '\n');
        expect(area.subarray(0, text.length).toString('utf8'), f.path).toBe(text);
        const pad = Buffer.from(f.pad ?? '#');
        expect(
          area.subarray(text.length).every((b) => b === pad[0]),
          `${f.path} padding`,
        ).toBe(true);
      }
    });
  }

  it('eras without MINISO.DAT or karg areas are refused with upstream wording and no output', async () => {
    const noKargs = (os: string): string => `Error: No karg embed areas found; old or corrupted ${os} ISO image.\n`;
    const noMiniso = 'Error: This ISO image does not support extracting a minimal ISO.\n';
    const cases: [IsoFixture, string, string][] = [
      ['embed-areas-2020-09', noKargs('NestOS'), noKargs('CoreOS')],
      ['embed-areas-2021-01', noMiniso, noMiniso],
      ['embed-areas-2021-09', noMiniso, noMiniso],
      ['embed-areas-2023-03.s390x', noKargs('NestOS'), noKargs('CoreOS')],
    ];
    for (const [name, nestos, coreos] of cases) {
      const dir = tmpDir();
      const iso = isoCopy(name, dir, 'full.iso');
      const r = await extract([iso, join(dir, 'out.iso')]);
      failsWith(r, nestos);
      expect(r.stderr).toBe(nestos);
      const s = await extract([iso], {}, 'coreos-installer');
      expect(s.stderr).toBe(coreos);
      expect(s.stdout.length).toBe(0);
      expect(onlyDir(dir)).toEqual(['full.iso']);
    }
  });

  it('a customized ISO is refused, named after the invoked program; after iso reset it works again (R28)', async () => {
    const dir = tmpDir();
    const pristine = ok(await extract([pristineIso('embed-areas-2023-07.x86_64')])).stdout;
    const refusal = (program: string): string =>
      `Error: Cannot operate on ISO with embedded customizations.\nReset it with \`${program} iso reset\` and try again.\n`;
    const ign = join(dir, 'config.ign');
    writeFileSync(ign, '{"ignition":{"version":"3.3.0"}}');
    const key = join(dir, 'eth0.nmconnection');
    writeFileSync(key, '[connection]\nid=eth0\n');
    const edits: [string, string[]][] = [
      ['kargs', ['iso', 'kargs', 'modify', '-a', 'foo=bar']],
      ['ignition', ['iso', 'ignition', 'embed', '-i', ign]],
      ['network', ['iso', 'network', 'embed', '-k', key]],
    ];
    for (const [tag, args] of edits) {
      const iso = isoCopy('embed-areas-2023-07.x86_64', dir, `${tag}.iso`);
      ok(await runCli([...args, iso]));
      const out = join(dir, `${tag}-min.iso`);
      const r = await extract(['--output-rootfs', join(dir, `${tag}-rootfs`), iso, out]);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(refusal('nestos-installer'));
      expect(existsSync(out)).toBe(false);
      expect(existsSync(join(dir, `${tag}-rootfs`))).toBe(false);
      ok(await runCli(['iso', 'reset', iso]));
      expect(sha256(ok(await extract([iso])).stdout)).toBe(sha256(pristine));
    }
    // Through a `coreos-installer` link the advice names coreos-installer.
    const iso = isoCopy('embed-areas-2023-07.x86_64', dir, 'linked.iso');
    ok(await runCli(['iso', 'kargs', 'modify', '-a', 'foo=bar', iso]));
    const r = await extract([iso, join(dir, 'x.iso')], {}, 'coreos-installer');
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(refusal('coreos-installer'));
    expect(existsSync(join(dir, 'x.iso'))).toBe(false);
  });

  it.skipIf(needs({ tools: ['script'] }))('refuses to write the ISO to a terminal, before the rootfs is written', () => {
    const dir = tmpDir();
    const iso = isoCopy('embed-areas-2022-09', dir, 'full.iso');
    const rootfs = join(dir, 'rootfs.img');
    const cmd = `node ${CLI} iso extract minimal-iso --output-rootfs ${rootfs} ${iso}; echo "status=$?"`;
    const out = execFileSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8' });
    expect(out).toContain('Error: Refusing to write binary data to terminal');
    expect(out).toContain('status=1');
    expect(onlyDir(dir)).toEqual(['full.iso']);
  });

  it('never overwrites: an existing output or rootfs path is "File exists" (R26)', async () => {
    const dir = tmpDir();
    const iso = isoCopy('embed-areas-2022-09', dir, 'full.iso');
    const out = join(dir, 'out.iso');
    writeFileSync(out, 'mine\n');
    const r = await extract([iso, out]);
    failsWith(r, 'Error: File exists (os error 17)\n');
    expect(r.stderr).toBe('Error: File exists (os error 17)\n');
    expect(readFileSync(out, 'utf8')).toBe('mine\n');
    expect(onlyDir(dir)).toEqual(['full.iso', 'out.iso']);

    const rootfs = join(dir, 'rootfs.img');
    writeFileSync(rootfs, 'mine\n');
    const r2 = await extract(['--output-rootfs', rootfs, iso, join(dir, 'new.iso')]);
    expect(r2.status).toBe(1);
    expect(r2.stderr).toBe(`Error: opening ${rootfs}\n\nCaused by:\n    File exists (os error 17)\n`);
    expect(readFileSync(rootfs, 'utf8')).toBe('mine\n');
    expect(onlyDir(dir)).toEqual(['full.iso', 'out.iso', 'rootfs.img']);
  });

  it('a rootfs URL with whitespace in it is refused and nothing is written', async () => {
    const dir = tmpDir();
    const iso = isoCopy('embed-areas-2022-09', dir, 'full.iso');
    const r = await extract(['--rootfs-url', 'http://a b', iso, join(dir, 'out.iso')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("Error: modifying miniso kernel args\n\nCaused by:\n    forbidden whitespace found in 'http://a b'\n");
    expect(onlyDir(dir)).toEqual(['full.iso']);
  });

  it('a changed full ISO fails the digest check in file and stdout modes, leaving nothing (R27)', async () => {
    const dir = tmpDir();
    const tmp = join(dir, 'tmp');
    mkdirSync(tmp);
    const iso = join(dir, 'full.iso');
    const data = readFileSync(pristineIso('embed-areas-2023-07.x86_64'));
    // The byte-level `sed s/coreos.liveiso/codeos.liveiso/g` of the upstream test.
    writeFileSync(iso, Buffer.from(data.toString('latin1').replaceAll('coreos.liveiso', 'codeos.liveiso'), 'latin1'));
    const file = await extract([iso, join(dir, 'out.iso')], { TMPDIR: tmp });
    failsWith(file, 'Error: unpacking miniso\n\nCaused by:\n    wrong final digest: expected ');
    const stream = await extract([iso], { TMPDIR: tmp });
    failsWith(stream, 'wrong final digest');
    expect(stream.stdout.length).toBe(0);
    expect(onlyDir(dir)).toEqual(['full.iso', 'tmp']);
    expect(onlyDir(tmp)).toEqual([]);
  });

  it('a corrupt MINISO.DAT is a clear error without a stack trace', async () => {
    const dir = tmpDir();
    const iso = isoCopy('embed-areas-2022-09', dir, 'full.iso');
    const offset = await withIso(iso, async (fs) => recordOffset(await fs.getFile('COREOS/MINISO.DAT')));
    const h = await open(iso, 'r+');
    await h.write(Buffer.from('MAXISO'), 0, 6, offset);
    await h.close();
    const r = await extract([iso, join(dir, 'out.iso')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('Error: reading miniso data file\n\nCaused by:\n    0: validating header\n    1: not a miniso file!\n');

    // A table length far past the real table: entries are decoded until one is not a u32.
    const iso2 = isoCopy('embed-areas-2022-09', dir, 'full2.iso');
    const h2 = await open(iso2, 'r+');
    const head = Buffer.alloc(64);
    await h2.read(head, 0, 64, offset);
    const tableAt = 8 + 1 + 1 + (head[9] ?? 0);
    await h2.write(Buffer.from('fcffffff7f', 'hex'), 0, 5, offset + tableAt);
    await h2.close();
    const r2 = await extract([iso2]);
    expect(r2.status).toBe(1);
    expect(r2.stderr).toMatch(/^Error: reading miniso data file\n\nCaused by:\n {4}invalid value: integer `\d+`, expected u32\n$/);
    expect(r2.stdout.length).toBe(0);
    expect(onlyDir(dir)).toEqual(['full.iso', 'full2.iso']);
  });
});
