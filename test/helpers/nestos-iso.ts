// A NestOS x86_64 live ISO laid out as nestos-assembler builds one
// (NESTOS.md "How a real NestOS live ISO is laid out"), made with the real
// tools: genisoimage -V <volid> -volset <name-version> -rational-rock -J
// -joliet-long plus El Torito options and no -iso-level (ISO 9660 level 1:
// `EFI/openEuler` is `EFI/OPENEULE` in the primary volume), GNU cpio for the
// initramfs and rootfs archives.
//
// Layout:
//   nestos/igninfo.json      {"file": "images/ignition.img"}
//   nestos/kargs.json        2-space indent, sorted keys; files sorted by path
//   nestos/features.json     installer-config (+console directive), live-initrd-network
//   EFI/BOOT/{BOOTX64.EFI,grub.cfg}, EFI/openEuler/grub.cfg (karg area)
//   isolinux/{isolinux.bin,isolinux.cfg (karg area),boot.cat}
//   images/{efiboot.img,ignition.img (256 KiB of zeros)}
//   images/pxeboot/vmlinuz
//   images/pxeboot/initrd.img  newc "dracut" archive + gzip'd newc archive with
//                              etc/nestos/features.json, etc/nestos-live-initramfs,
//                              etc/nestos-live-want-rootfs
//   images/pxeboot/rootfs.img  uncompressed newc: root.squashfs first (its `hsqs`
//                              magic at byte 124), etc/nestos-live-rootfs, then
//                              one `<image>.osmet` per `opts.osmet` entry
//
// Everything in the tree is fixed (contents and mtimes); genisoimage stamps the
// volume dates and the root's Rock Ridge times with the build time, so two
// builds differ only there. Builds are cached per options for the test process
// (in a temp root removed at exit); `buildNestosIso` copies the cached image.
//
// Users: the NestOS ISO tests here, and the customize / minimal-ISO / osmet
// tests (fixtures/INDEX).

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runCacheDir } from './tmp.js';

/** Fixed mtime of every file in the tree (2024-01-10 00:00:00 UTC). */
const MTIME = 1704844800;

export const NESTOS_VOLUME_ID = 'NestOS-22.03-LTS-SP3.20240110.0';
export const NESTOS_VOLUME_SET = 'nestos-22.03-LTS-SP3.20240110.0';
export const NESTOS_KARGS_SIZE = 1024;

export interface NestosIsoOptions {
  /** Volume id (at most 32 characters); also in `nestos.liveiso=`. */
  volumeId?: string;
  /** Default kargs; default: `mitigations=auto,nosmt nestos.liveiso=<volid> ignition.firstboot ignition.platform.id=metal console=tty1`. */
  kargs?: string;
  /** Karg area size in both files. */
  kargsSize?: number;
  /** nestos/features.json contents (an object, written 2-space sorted). */
  features?: Record<string, unknown>;
  /** `.osmet` members of rootfs.img, in order: `{ name: 'nestos-…-metal.x86_64.raw.osmet', data }`. */
  osmet?: { name: string; data: Buffer }[];
  /** Extra files in the ISO tree by long path (e.g. `nestos/miniso.dat`). */
  extraFiles?: Record<string, Buffer | string>;
  /** Size of images/ignition.img (default 256 KiB). */
  ignitionAreaSize?: number;
}

export interface NestosIso {
  path: string;
  volumeId: string;
  defaultKargs: string;
  kargsSize: number;
  /** Karg area offsets inside their files (same order as kargs.json `files`). */
  areas: { path: string; offset: number }[];
  /** The bytes of images/pxeboot/{vmlinuz,initrd.img,rootfs.img} as put in the tree. */
  pxe: { vmlinuz: Buffer; initrd: Buffer; rootfs: Buffer };
}

export const NESTOS_FEATURES = {
  'installer-config': true,
  'installer-config-directives': { console: true },
  'live-initrd-network': true,
};

/** JSON with 2-space indent and keys sorted at every level (how nestos-assembler writes them). */
export function sortedJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(sort(value), null, 2);
}

function put(root: string, path: string, data: Buffer | string): void {
  const full = join(root, path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, data);
}

/** Set every mtime in the tree to MTIME (deepest first, so directories keep it). */
function fixTimes(dir: string): void {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) fixTimes(p);
    utimesSync(p, MTIME, MTIME);
  }
  utimesSync(dir, MTIME, MTIME);
}

/** A newc archive of `paths` (in this order) under `root`, made by GNU cpio. */
function cpio(root: string, paths: string[]): Buffer {
  fixTimes(root);
  return execFileSync('cpio', ['-o', '-H', 'newc', '--reproducible', '--quiet'], {
    cwd: root,
    input: paths.join('\n') + '\n',
    maxBuffer: 256 << 20,
  });
}

function kargArea(kargs: string, size: number): string {
  const text = `${kargs}\n`;
  if (text.length > size) throw new Error(`default kargs longer than the area (${text.length} > ${size})`);
  return text + '#'.repeat(size - text.length);
}

function build(dir: string, opts: NestosIsoOptions): NestosIso {
  const volumeId = opts.volumeId ?? NESTOS_VOLUME_ID;
  const defaultKargs =
    opts.kargs ?? `mitigations=auto,nosmt nestos.liveiso=${volumeId} ignition.firstboot ignition.platform.id=metal console=tty1`;
  const size = opts.kargsSize ?? NESTOS_KARGS_SIZE;
  const area = kargArea(defaultKargs, size);
  const tree = join(dir, 'tree');
  rmSync(tree, { recursive: true, force: true });

  // Bootloader configs with the karg areas (the build-time marker replaced by the padded kargs).
  const grubHead =
    'set default="1"\n\nfunction load_video {\n  insmod all_video\n}\n\nset timeout=5\n' +
    "menuentry 'NestOS (Live)' --class fedora --class gnu-linux --class gnu --class os {\n" +
    '\tlinux /images/pxeboot/vmlinuz ';
  const grubTail = '\n\tinitrd /images/pxeboot/initrd.img /images/ignition.img\n}\n';
  put(tree, 'EFI/openEuler/grub.cfg', grubHead + area + grubTail);
  put(
    tree,
    'EFI/BOOT/grub.cfg',
    'search --no-floppy --file --set=root /EFI/openEuler/grub.cfg\nconfigfile ($root)/EFI/openEuler/grub.cfg\n',
  );
  put(tree, 'EFI/BOOT/BOOTX64.EFI', Buffer.alloc(4096, 0x4d));
  const isoHead =
    'serial 0\ndefault vesamenu.c32\ntimeout 600\n\nlabel linux\n  menu label ^NestOS (Live)\n' +
    '  kernel /images/pxeboot/vmlinuz\n  append initrd=/images/pxeboot/initrd.img,/images/ignition.img ';
  put(tree, 'isolinux/isolinux.cfg', isoHead + area + '\n');
  // isolinux.bin is patched by -boot-info-table: give it room (it is not a real loader).
  put(tree, 'isolinux/isolinux.bin', Buffer.alloc(2048, 0x90));
  put(tree, 'images/efiboot.img', Buffer.alloc(16384, 0));
  put(tree, 'images/ignition.img', Buffer.alloc(opts.ignitionAreaSize ?? 256 * 1024, 0));

  // Live initramfs: a "dracut" archive, then the compressed stamp archive.
  const features = opts.features ?? NESTOS_FEATURES;
  const dracut = join(dir, 'dracut');
  rmSync(dracut, { recursive: true, force: true });
  put(dracut, 'init', '#!/bin/sh\nexec /usr/lib/systemd/systemd\n');
  put(dracut, 'usr/lib/dracut/modules.txt', 'nestos-live\nignition\n');
  const stamps = join(dir, 'stamps');
  rmSync(stamps, { recursive: true, force: true });
  put(stamps, 'etc/nestos/features.json', sortedJson(features) + '\n');
  put(stamps, 'etc/nestos-live-initramfs', '');
  put(stamps, 'etc/nestos-live-want-rootfs', '');
  const initrd = Buffer.concat([
    cpio(dracut, ['init', 'usr', 'usr/lib', 'usr/lib/dracut', 'usr/lib/dracut/modules.txt']),
    execFileSync('gzip', ['-n', '-9', '-c'], {
      input: cpio(stamps, ['etc', 'etc/nestos', 'etc/nestos/features.json', 'etc/nestos-live-initramfs', 'etc/nestos-live-want-rootfs']),
    }),
  ]);
  put(tree, 'images/pxeboot/initrd.img', initrd);

  // Live rootfs: uncompressed newc, root.squashfs first.
  const rootfsDir = join(dir, 'rootfs');
  rmSync(rootfsDir, { recursive: true, force: true });
  const squash = Buffer.alloc(64 * 1024, 0);
  squash.write('hsqs', 0, 'latin1');
  squash.write('NestOS root filesystem stand-in', 96, 'latin1');
  put(rootfsDir, 'root.squashfs', squash);
  put(rootfsDir, 'etc/nestos-live-rootfs', '');
  for (const o of opts.osmet ?? []) put(rootfsDir, o.name, o.data);
  const rootfs = cpio(rootfsDir, ['root.squashfs', 'etc', 'etc/nestos-live-rootfs', ...(opts.osmet ?? []).map((o) => o.name)]);
  put(tree, 'images/pxeboot/rootfs.img', rootfs);
  const vmlinuz = Buffer.concat([Buffer.alloc(512, 0), Buffer.from('HdrS'), Buffer.alloc(8192 - 516, 0x11)]);
  put(tree, 'images/pxeboot/vmlinuz', vmlinuz);

  // Metadata, as nestos-assembler writes it.
  const files = [
    { path: 'EFI/openEuler/grub.cfg', offset: Buffer.byteLength(grubHead), pad: '#', end: '\n' },
    { path: 'isolinux/isolinux.cfg', offset: Buffer.byteLength(isoHead), pad: '#', end: '\n' },
  ].sort((a, b) => (a.path < b.path ? -1 : 1));
  put(tree, 'nestos/kargs.json', sortedJson({ default: defaultKargs, files, size }) + '\n');
  put(tree, 'nestos/igninfo.json', sortedJson({ file: 'images/ignition.img' }) + '\n');
  put(tree, 'nestos/features.json', sortedJson(features) + '\n');
  for (const [path, data] of Object.entries(opts.extraFiles ?? {})) put(tree, path, data);
  fixTimes(tree);

  const path = join(dir, 'nestos-live.x86_64.iso');
  execFileSync(
    'genisoimage',
    [
      '-quiet',
      '-o',
      path,
      '-V',
      volumeId,
      '-volset',
      NESTOS_VOLUME_SET,
      '-rational-rock',
      '-J',
      '-joliet-long',
      '-b',
      'isolinux/isolinux.bin',
      '-c',
      'isolinux/boot.cat',
      '-no-emul-boot',
      '-boot-load-size',
      '4',
      '-boot-info-table',
      '-eltorito-alt-boot',
      '-efi-boot',
      'images/efiboot.img',
      '-no-emul-boot',
      tree,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return {
    path,
    volumeId,
    defaultKargs,
    kargsSize: size,
    areas: files.map((f) => ({ path: f.path, offset: f.offset })),
    pxe: { vmlinuz, initrd, rootfs },
  };
}

let cacheRoot: string | undefined;
const cache = new Map<string, NestosIso>();

/** The pristine NestOS ISO for these options, built once per test process. Never mutate it. */
export function nestosIso(opts: NestosIsoOptions = {}): NestosIso {
  const key = createHash('sha256')
    .update(JSON.stringify(opts, (_k, v: unknown) => (Buffer.isBuffer(v) ? createHash('sha256').update(v).digest('hex') : v)))
    .digest('hex')
    .slice(0, 16);
  const hit = cache.get(key);
  if (hit !== undefined && existsSync(hit.path)) return hit;
  // Removed with the run's temp root (test/global-setup.ts), not at process exit,
  // which never fires when vitest stops its workers.
  cacheRoot ??= runCacheDir('nestos-test-nestos-iso-');
  const dir = join(cacheRoot, key);
  mkdirSync(dir, { recursive: true });
  const built = build(dir, opts);
  cache.set(key, built);
  return built;
}

/** A writable copy of the NestOS ISO for `opts` at `<dir>/<name>`. */
export function buildNestosIso(dir: string, opts: NestosIsoOptions = {}, name = 'nestos-live.x86_64.iso'): NestosIso {
  const pristine = nestosIso(opts);
  const path = join(dir, name);
  copyFileSync(pristine.path, path);
  return { ...pristine, path };
}
