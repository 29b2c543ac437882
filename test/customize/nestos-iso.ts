// A NestOS live ISO laid out as nestos-assembler builds one (NESTOS.md): a
// nestos/ metadata directory (igninfo.json, kargs.json written with 2-space
// indent and sorted keys, features.json), karg areas in EFI/openEuler/grub.cfg
// and isolinux/isolinux.cfg, the 256 KiB images/ignition.img area, and
// genisoimage -R -J -joliet-long without -iso-level: ISO 9660 level 1, so
// EFI/openEuler is EFI/OPENEULE in the primary volume and only Rock Ridge
// carries the long name that kargs.json uses.

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const NESTOS_VOLID = 'NestOS-22.03.20240101';
export const NESTOS_ISO_KARGS = `mitigations=auto,nosmt nestos.liveiso=${NESTOS_VOLID} ignition.firstboot ignition.platform.id=metal console=tty1`;
const KARGS_SIZE = 1139;
const AREA_SIZE = 262144;
const MARKER = 'NESTOS_KARG_EMBED_AREA';

function kargArea(): string {
  const text = `${NESTOS_ISO_KARGS}\n`;
  return text + '#'.repeat(KARGS_SIZE - text.length);
}

/** Sorted keys, 2-space indent, as nestos-assembler writes JSON. */
function sortedJson(value: unknown): string {
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

/** Build `<dir>/<name>` and return its path. */
export function buildNestosLiveIso(dir: string, name = 'nestos-live.x86_64.iso'): string {
  const root = join(dir, `${name}.tree`);
  for (const d of ['nestos', 'EFI/BOOT', 'EFI/openEuler', 'isolinux', 'images/pxeboot']) {
    mkdirSync(join(root, d), { recursive: true });
  }
  const grubHead = `set timeout=5\nmenuentry 'NestOS live' {\n  linux /images/pxeboot/vmlinuz `;
  // The build replaces the marker line with the area; the offset is where the area starts.
  writeFileSync(
    join(root, 'EFI/openEuler/grub.cfg'),
    `${grubHead}${kargArea()}\n  initrd /images/pxeboot/initrd.img /images/ignition.img\n}\n# ${MARKER}\n`,
  );
  const isoHead =
    'default nestos\nlabel nestos\n  kernel /images/pxeboot/vmlinuz\n  append initrd=/images/pxeboot/initrd.img,/images/ignition.img ';
  writeFileSync(join(root, 'isolinux/isolinux.cfg'), `${isoHead}${kargArea()}\n`);
  writeFileSync(join(root, 'EFI/BOOT/BOOTX64.EFI'), 'not a bootloader\n');
  writeFileSync(join(root, 'images/ignition.img'), Buffer.alloc(AREA_SIZE));
  for (const f of ['vmlinuz', 'initrd.img', 'rootfs.img']) writeFileSync(join(root, 'images/pxeboot', f), `${f}\n`);
  writeFileSync(join(root, 'nestos/igninfo.json'), sortedJson({ file: 'images/ignition.img' }));
  writeFileSync(
    join(root, 'nestos/kargs.json'),
    sortedJson({
      default: NESTOS_ISO_KARGS,
      files: [
        { end: '\n', offset: grubHead.length, pad: '#', path: 'EFI/openEuler/grub.cfg' },
        { end: '\n', offset: isoHead.length, pad: '#', path: 'isolinux/isolinux.cfg' },
      ],
      size: KARGS_SIZE,
    }),
  );
  writeFileSync(
    join(root, 'nestos/features.json'),
    sortedJson({ 'installer-config': true, 'installer-config-directives': { console: true }, 'live-initrd-network': true }),
  );
  const path = join(dir, name);
  execFileSync(
    'genisoimage',
    ['-quiet', '-o', path, '-V', NESTOS_VOLID, '-volset', 'NestOS-22.03', '-rational-rock', '-J', '-joliet-long', root],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return path;
}
