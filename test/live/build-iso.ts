// A NestOS live ISO (NESTOS/ metadata) built with xorriso, with a layout none
// of the fixtures has: the Ignition area is a 64 KiB slice at offset 8192 inside
// BOOT/NESTOS/LIVE.IMG (igninfo with offset+length), and 1024-byte karg areas
// inside a grub.cfg and an isolinux.cfg of our own (kargs.json, one of them
// with pad '-' and end ' ').

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const NESTOS_DEFAULT_KARGS = 'nestos.liveiso=NestOS-24.03 ignition.firstboot ignition.platform.id=metal quiet';
export const NESTOS_KARGS_SIZE = 1024;
export const NESTOS_AREA_OFFSET_IN_FILE = 8192;
export const NESTOS_AREA_LENGTH = 65536;

export interface BuiltIso {
  path: string;
  /** Offsets of the karg areas inside their files. */
  grubOffset: number;
  isolinuxOffset: number;
}

function kargArea(kargs: string, end: string, pad: string): string {
  const text = kargs + end;
  return text + pad.repeat(NESTOS_KARGS_SIZE - text.length);
}

/** Build the ISO at `<dir>/<name>`; `padding` adds a file of that many bytes (sparse in the tree). */
export function buildNestosIso(dir: string, name = 'nestos-live.iso'): BuiltIso {
  const root = join(dir, `${name}.tree`);
  for (const d of ['nestos', 'boot/nestos', 'boot/grub2', 'isolinux', 'images/pxeboot']) {
    mkdirSync(join(root, d), { recursive: true });
  }
  const live = Buffer.alloc(NESTOS_AREA_OFFSET_IN_FILE + NESTOS_AREA_LENGTH + 4096, 0);
  live.write('NESTOS LIVE IMAGE HEADER', 0);
  live.write('TRAILER AFTER THE AREA', NESTOS_AREA_OFFSET_IN_FILE + NESTOS_AREA_LENGTH);
  writeFileSync(join(root, 'boot/nestos/live.img'), live);

  const grubHead = "set timeout=5\nmenuentry 'NestOS live' {\n  linux /images/pxeboot/vmlinuz ";
  const grub = grubHead + kargArea(NESTOS_DEFAULT_KARGS, '\n', '#') + '  initrd /images/pxeboot/initrd.img\n}\n';
  writeFileSync(join(root, 'boot/grub2/grub.cfg'), grub);
  const isoHead = 'default nestos\nlabel nestos\n  kernel /images/pxeboot/vmlinuz\n  append ';
  const isolinux = isoHead + kargArea(NESTOS_DEFAULT_KARGS, ' ', '-') + '\n';
  writeFileSync(join(root, 'isolinux/isolinux.cfg'), isolinux);
  writeFileSync(join(root, 'images/pxeboot/vmlinuz'), 'not a kernel\n');

  writeFileSync(
    join(root, 'nestos/igninfo.json'),
    JSON.stringify({ file: 'boot/nestos/live.img', offset: NESTOS_AREA_OFFSET_IN_FILE, length: NESTOS_AREA_LENGTH }),
  );
  writeFileSync(
    join(root, 'nestos/kargs.json'),
    JSON.stringify({
      default: NESTOS_DEFAULT_KARGS,
      files: [
        { path: 'isolinux/isolinux.cfg', offset: isoHead.length, pad: '-', end: ' ' },
        { path: 'boot/grub2/grub.cfg', offset: grubHead.length },
      ],
      size: NESTOS_KARGS_SIZE,
      'future-key': true,
    }),
  );
  writeFileSync(join(root, 'nestos/features.json'), JSON.stringify({ 'live-initrd-network': true }));

  const path = join(dir, name);
  execFileSync('xorriso', ['-as', 'mkisofs', '-quiet', '-o', path, '-V', 'NestOS-24.03-live', '-R', '-J', root], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return { path, grubOffset: grubHead.length, isolinuxOffset: isoHead.length };
}
