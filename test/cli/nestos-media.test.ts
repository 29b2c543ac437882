// NestOS media (issue 11, NESTOS.md): an ISO laid out as nestos-assembler
// builds it (test/helpers/nestos-iso.ts). The generic ISO command suites run
// on it too (NESTOS_GENISO in iso-helpers); this file shows what is NestOS
// specific: the level-1 long names, the NESTOS/ metadata, the nestos paths in
// the embed area, the E9 warnings, and both invoked names.

import { describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Initrd } from '../../src/initrd/initrd.js';
import { AS_COREOS, runCli } from '../helpers/cli.js';
import { needs } from '../helpers/env.js';
import { NESTOS_FEATURES, nestosIso, sortedJson } from '../helpers/nestos-iso.js';
import { tmpDir } from '../helpers/tmp.js';
import { sha256, withIso } from '../live/fixture-iso.js';
import { ok, saveStdout, threeModes } from './iso-helpers.js';

interface KargsInfo {
  length: number;
  default: string;
  kargs: { offset: number; length: number; pad?: string; end?: string }[];
}

/** The members of the ISO's initrd embed area, decoded. */
async function areaMembers(iso: string): Promise<Initrd> {
  const info = JSON.parse(ok(await runCli(['dev', 'show', 'iso', '--ignition', iso])).out) as { offset: number; length: number };
  const area = readFileSync(iso).subarray(info.offset, info.offset + info.length);
  return Initrd.fromBuffer(area);
}

/** Byte ranges where two equal-length buffers differ. */
function differingRanges(a: Buffer, b: Buffer): [number, number][] {
  expect(a.length).toBe(b.length);
  const out: [number, number][] = [];
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    const last = out[out.length - 1];
    if (last !== undefined && last[1] === i) last[1] = i + 1;
    else out.push([i, i + 1]);
  }
  return out;
}

describe.skipIf(needs({ tools: ['genisoimage', 'cpio', 'gzip', 'xz'] }))('a nestos-assembler style NestOS ISO', () => {
  const dir = tmpDir();
  const built = nestosIso();
  const iso = built.path;
  const base = sha256(readFileSync(iso));

  it('is laid out as NESTOS.md says: level 1, Rock Ridge and Joliet, NESTOS/ metadata, EFI/BOOT + EFI/openEuler', async () => {
    const layout = JSON.parse(ok(await runCli(['dev', 'show', 'iso', iso])).out) as {
      header: { descriptors: { type: string; volume_id?: string }[] };
      records: string[];
    };
    expect(layout.header.descriptors.map((d) => d.type)).toEqual(['primary', 'boot', 'supplementary']);
    expect(layout.header.descriptors[0]?.volume_id).toBe(built.volumeId);
    for (const r of [
      'EFI/BOOT',
      'EFI/OPENEULE',
      'EFI/OPENEULE/GRUB.CFG',
      'NESTOS/KARGS.JSO',
      'NESTOS/IGNINFO.JSO',
      'NESTOS/FEATURES.JSO',
      'IMAGES/PXEBOOT/ROOTFS.IMG',
      'ISOLINUX/ISOLINUX.CFG',
    ]) {
      expect(layout.records).toContain(r);
    }
    expect(layout.records.some((r) => r.startsWith('COREOS'))).toBe(false);
    await withIso(iso, async (fs) => {
      const kargsJson = (await fs.readFile(await fs.lookupFile('nestos/kargs.json'))).toString();
      expect(kargsJson).toBe(
        sortedJson({
          default: built.defaultKargs,
          files: built.areas.map((a) => ({ end: '\n', offset: a.offset, pad: '#', path: a.path })),
          size: built.kargsSize,
        }) + '\n',
      );
      expect(kargsJson).toMatch(
        /^\{\n {2}"default": .*\n {2}"files": \[\n {4}\{\n {6}"end": "\\n",\n {6}"offset": \d+,\n {6}"pad": "#",\n {6}"path": "EFI\/openEuler\/grub.cfg"\n/,
      );
      expect(built.defaultKargs).toMatch(/nestos\.liveiso=\S+ ignition\.firstboot ignition\.platform\.id=metal console=tty1$/);
      expect((await fs.readFile(await fs.lookupFile('nestos/features.json'))).toString()).toBe(sortedJson(NESTOS_FEATURES) + '\n');
    });
    // rootfs.img: an uncompressed cpio with root.squashfs first, its magic at byte 124.
    expect(built.pxe.rootfs.subarray(0, 6).toString()).toBe('070701');
    expect(built.pxe.rootfs.subarray(124, 128).toString()).toBe('hsqs');
    const initrd = await Initrd.fromBuffer(built.pxe.initrd);
    for (const m of ['etc/nestos/features.json', 'etc/nestos-live-initramfs', 'etc/nestos-live-want-rootfs'])
      expect(initrd.has(m)).toBe(true);
  });

  it('dev show iso --kargs lists the areas in EFI/openEuler/grub.cfg and isolinux/isolinux.cfg', async () => {
    const info = JSON.parse(ok(await runCli(['dev', 'show', 'iso', '--kargs', iso])).out) as KargsInfo;
    const expected = await withIso(iso, async (fs) => {
      const out: number[] = [];
      for (const a of built.areas) out.push((await fs.lookupFile(a.path)).address * 2048 + a.offset);
      return out.sort((x, y) => x - y);
    });
    expect(info).toEqual({
      length: built.kargsSize,
      default: built.defaultKargs,
      kargs: expected.map((offset) => ({ offset, length: built.kargsSize, pad: '#', end: '\n' })),
    });
    const bytes = readFileSync(iso);
    for (const k of info.kargs) {
      expect(bytes.subarray(k.offset, k.offset + k.length).toString()).toBe(`${built.defaultKargs}\n`.padEnd(built.kargsSize, '#'));
    }
  });

  it('iso kargs modify -a x=1 -d console=tty1 rewrites both areas and nothing else; kargs reset and iso reset restore it', async () => {
    const m = await threeModes(iso, dir, 'kargs', ['iso', 'kargs', 'modify', '-a', 'x=1', '-d', 'console=tty1']);
    expect(new Set(m.hashes).size).toBe(1);
    const modified = saveStdout(m.stream, join(dir, 'kargs.iso'));
    const want = built.defaultKargs.replace(/ console=tty1$/, ' x=1');
    expect(ok(await runCli(['iso', 'kargs', 'show', modified])).out).toBe(`${want}\n`);
    expect(ok(await runCli(['iso', 'kargs', 'show', '-d', modified])).out).toBe(`${built.defaultKargs}\n`);
    const info = JSON.parse(ok(await runCli(['dev', 'show', 'iso', '--kargs', iso])).out) as KargsInfo;
    const ranges = differingRanges(readFileSync(iso), readFileSync(modified));
    expect(ranges.length).toBeGreaterThanOrEqual(2);
    for (const [from, to] of ranges) {
      expect(info.kargs.some((k) => from >= k.offset && to <= k.offset + k.length)).toBe(true);
    }
    for (const k of info.kargs) {
      expect(
        readFileSync(modified)
          .subarray(k.offset, k.offset + k.length)
          .toString(),
      ).toBe(`${want}\n`.padEnd(k.length, '#'));
    }
    const kreset = await threeModes(modified, dir, 'kreset', ['iso', 'kargs', 'reset']);
    expect(kreset.hashes).toEqual([base, base, base]);
    const reset = await threeModes(modified, dir, 'reset', ['iso', 'reset']);
    expect(reset.hashes).toEqual([base, base, base]);
  });

  for (const as of [{}, AS_COREOS]) {
    const who = as === AS_COREOS ? 'as coreos-installer' : 'as nestos-installer';
    it(`iso network embed puts the keyfile at etc/nestos-firstboot-network/<name> (${who}: the medium decides)`, async () => {
      const sub = join(dir, `net-${who.replace(/ /g, '-')}`);
      mkdirSync(sub);
      const key = join(sub, 'eth0.nmconnection');
      writeFileSync(key, '[connection]\nid=eth0\ntype=ethernet\n');
      const m = await threeModes(iso, sub, 'net', ['iso', 'network', 'embed', '-k', key], undefined, as);
      expect(new Set(m.hashes).size).toBe(1);
      const embedded = saveStdout(m.stream, join(sub, 'net.iso'));
      const members = await areaMembers(embedded);
      expect(members.names()).toEqual(['etc/nestos-firstboot-network/eth0.nmconnection']);
      expect(members.get('etc/nestos-firstboot-network/eth0.nmconnection')?.equals(readFileSync(key))).toBe(true);
      expect(ok(await runCli(['iso', 'network', 'extract', embedded], as)).out).toBe(
        '########## eth0.nmconnection ##########\n[connection]\nid=eth0\ntype=ethernet\n',
      );
      const removed = await threeModes(embedded, sub, 'rm', ['iso', 'network', 'remove'], undefined, as);
      expect(removed.hashes).toEqual([base, base, base]);
    });
  }

  it('E9: a config that is not even JSON is embedded byte for byte, with a warning', async () => {
    const config = Buffer.from('{"ignition": {"version": "3.0.0"}\n');
    const r = await runCli(['iso', 'ignition', 'embed', '-o', '-', iso], { input: config });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^Warning parsing stdin: serialization error: [^\n]+\n$/);
    const embedded = saveStdout(r, join(dir, 'e9.iso'));
    expect(ok(await runCli(['iso', 'ignition', 'show', embedded])).stdout.equals(config)).toBe(true);
    expect((await areaMembers(embedded)).get('config.ign')?.equals(config)).toBe(true);
    // A future spec version is never refused either.
    const future = Buffer.from('{"ignition":{"version":"3.9.0"},"futureSection":{}}');
    const f = await runCli(['iso', 'ignition', 'embed', '-f', '-o', '-', embedded], { input: future });
    expect(f.status).toBe(0);
    expect(f.stderr).toBe('Warning parsing stdin: ignition.version: unsupported config version: 3.9.0\n');
    const reset = await threeModes(embedded, dir, 'e9reset', ['iso', 'reset']);
    expect(reset.hashes).toEqual([base, base, base]);
  });

  it('iso extract pxe copies vmlinuz, initrd.img and rootfs.img byte for byte', async () => {
    const out = join(dir, 'pxe');
    const r = ok(await runCli(['iso', 'extract', 'pxe', '-o', out, iso]));
    const stem = 'nestos-live.x86_64';
    expect(r.out).toBe(['initrd.img', 'rootfs.img', 'vmlinuz'].map((n) => `${out}/${stem}-${n}\n`).join(''));
    expect(readdirSync(out).sort()).toEqual([`${stem}-initrd.img`, `${stem}-rootfs.img`, `${stem}-vmlinuz`]);
    expect(readFileSync(join(out, `${stem}-vmlinuz`)).equals(built.pxe.vmlinuz)).toBe(true);
    expect(readFileSync(join(out, `${stem}-initrd.img`)).equals(built.pxe.initrd)).toBe(true);
    expect(readFileSync(join(out, `${stem}-rootfs.img`)).equals(built.pxe.rootfs)).toBe(true);
  });
});
