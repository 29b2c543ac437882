// A small metal image built without root: a GPT disk with BIOS-BOOT,
// EFI-SYSTEM (vfat), `boot` (ext4 with a BLS entry, grub.cfg with a
// CONSOLE-SETTINGS block, ignition.firstboot, and the family's
// `<family>/platforms.json`) and `root` (known bytes), compressed with xz and
// signed by a gpg key made here. `family: 'coreos'` (default, as the first
// tests were written) has `coreos/`; `family: 'nestos'` is a NestOS boot
// partition (`nestos/platforms.json`, NESTOS.md) with its own qemu entry.
// Its building blocks (metalDisk: the GPT and the EFI system partition;
// bootPartition; ext4Partition) also make the NestOS disk of the osmet tests
// (nestos-disk.ts).
// Tools: sgdisk (gdisk), mkfs.ext4 (e2fsprogs), mkfs.vfat (dosfstools), xz, gpg.

import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { bufferReader, readGpt, type Gpt } from '../../src/blockdev/gpt.js';
import { makeGpgKey, type GpgKey } from './gpg.js';

export const BLS_OPTIONS = 'root=UUID=0000 rw rhgb quiet ignition.platform.id=metal $ignition_firstboot';

export const GRUB_CFG = ['set timeout=1', '# CONSOLE-SETTINGS-START', '# CONSOLE-SETTINGS-END', 'blscfg', ''].join('\n');

export interface MetalImage {
  /** Uncompressed image. */
  raw: string;
  /** xz-compressed image with `<xz>.sig`. */
  xz: string;
  size: number;
  sectorSize: number;
  gpt: Gpt;
  key: GpgKey;
  /** Byte range of a partition by label. */
  partition(label: string): { start: number; end: number };
  sha256(start: number, end: number): string;
}

/** NestOS's platform table: its qemu entry differs from the CoreOS one, so a test sees which was read. */
export const NESTOS_PLATFORMS = {
  metal: { grub_commands: [], kernel_arguments: [] },
  qemu: {
    grub_commands: ['serial --unit=1 --speed=115200', 'terminal_input serial console', 'terminal_output serial console'],
    kernel_arguments: ['console=tty0', 'console=ttyS1,115200n8'],
  },
};

const COREOS_PLATFORMS = {
  metal: { grub_commands: [], kernel_arguments: [] },
  qemu: {
    grub_commands: ['serial --speed=115200', 'terminal_input serial console', 'terminal_output serial console'],
    kernel_arguments: ['console=tty0', 'console=ttyS0,115200n8'],
  },
};

export interface MetalImageOptions {
  /** Which family's boot partition (default coreos). */
  family?: 'nestos' | 'coreos';
}

/** A raw disk image with its GPT read back. */
export interface GptDisk {
  /** `<dir>/nestos-metal.raw`. */
  raw: string;
  size: number;
  gpt: Gpt;
  /** Byte range of a partition by label. */
  partition(label: string): { start: number; end: number };
}

export interface MetalLayout {
  /** Size of the `boot` partition. */
  bootMiB: number;
  /** Size of the `root` partition (default: the rest of the disk). */
  rootMiB?: number;
}

/** What a metal build's boot partition holds, beside the family's own files. */
export interface BootPartition {
  /** Whose `ignition.firstboot` stamp it is. */
  family: 'nestos' | 'coreos';
  /** BLS entry title, e.g. `NestOS 1 (ostree)`. */
  title: string;
  /** Directory of the kernel and initramfs, e.g. `/ostree`. */
  kernelDir: string;
  /** More files by path inside the partition (platforms.json, the kernel, ...). */
  files: Record<string, Buffer | string>;
}

function tool(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Write the whole of `src` into `dest` at `offset`. */
function copyAt(dest: string, src: string, offset: number): void {
  const data = readFileSync(src);
  const fd = openSync(dest, 'r+');
  try {
    writeSync(fd, data, 0, data.length, offset);
  } finally {
    closeSync(fd);
  }
}

/**
 * `<dir>/nestos-metal.raw` of `sizeMiB` MiB (512-byte sectors) partitioned as a
 * metal image is: BIOS-BOOT (1 MiB at sector 2048), EFI-SYSTEM (8 MiB, with an
 * empty vfat file system), `boot` and `root` (both left for the caller).
 */
export async function metalDisk(dir: string, sizeMiB: number, layout: MetalLayout): Promise<GptDisk> {
  const raw = join(dir, 'nestos-metal.raw');
  const size = sizeMiB << 20;
  writeFileSync(raw, Buffer.alloc(0));
  execFileSync('truncate', ['-s', String(size), raw]);
  tool('sgdisk', [
    '-n1:2048:+1M',
    '-t1:EF02',
    '-c1:BIOS-BOOT',
    '-n2:0:+8M',
    '-t2:EF00',
    '-c2:EFI-SYSTEM',
    `-n3:0:+${layout.bootMiB}M`,
    '-t3:8300',
    '-c3:boot',
    layout.rootMiB === undefined ? '-n4:0:0' : `-n4:0:+${layout.rootMiB}M`,
    '-t4:8300',
    '-c4:root',
    raw,
  ]);
  const gpt = (await readGpt(bufferReader(readFileSync(raw)))) as Gpt;
  const partition = (label: string) => {
    const e = gpt.entries.find((x) => x.name === label);
    if (e === undefined) throw new Error(`no partition ${label}`);
    return { start: e.firstLba * 512, end: (e.lastLba + 1) * 512 };
  };
  const esp = join(dir, 'esp.img');
  tool('mkfs.vfat', ['-n', 'EFI-SYSTEM', '-C', esp, String(8 * 1024)]);
  copyAt(raw, esp, partition('EFI-SYSTEM').start);
  return { raw, size, gpt, partition };
}

/** An ext4 file system labelled `label` of the files in `tree`, filling that partition of `disk`. */
export function ext4Partition(disk: GptDisk, label: string, tree: string, mkfsArgs: string[] = []): void {
  const range = disk.partition(label);
  const img = `${tree}.img`;
  tool('mkfs.ext4', ['-q', '-F', ...mkfsArgs, '-L', label, '-d', tree, img, `${(range.end - range.start) >> 10}K`]);
  copyAt(disk.raw, img, range.start);
}

/** The `boot` partition: a BLS entry, grub.cfg with a CONSOLE-SETTINGS block, ignition.firstboot and `boot.files` (tree in `<dir>/boot-tree`). */
export function bootPartition(dir: string, disk: GptDisk, boot: BootPartition): void {
  const tree = join(dir, 'boot-tree');
  const files: Record<string, Buffer | string> = {
    'loader/entries/ostree-1-nestos.conf': `title ${boot.title}\nversion 1\nlinux ${boot.kernelDir}/vmlinuz\ninitrd ${boot.kernelDir}/initramfs.img\noptions ${BLS_OPTIONS}\n`,
    'grub2/grub.cfg': GRUB_CFG,
    'ignition.firstboot': `# Set by ${boot.family}-ignition-firstboot\n`,
    ...boot.files,
  };
  for (const [path, data] of Object.entries(files)) {
    mkdirSync(dirname(join(tree, path)), { recursive: true });
    writeFileSync(join(tree, path), data);
  }
  ext4Partition(disk, 'boot', tree);
}

/** Build the image in `dir`. `sizeMiB` ≥ 40. */
export async function buildMetalImage(dir: string, sizeMiB = 40, opts: MetalImageOptions = {}): Promise<MetalImage> {
  const family = opts.family ?? 'coreos';
  const disk = await metalDisk(dir, sizeMiB, { bootMiB: 16, rootMiB: 8 });
  const { raw, size, gpt, partition } = disk;
  bootPartition(dir, disk, {
    family,
    title: 'NestOS 1 (ostree)',
    kernelDir: '/ostree',
    files: { [`${family}/platforms.json`]: JSON.stringify(family === 'nestos' ? NESTOS_PLATFORMS : COREOS_PLATFORMS) },
  });

  const root = partition('root');
  const fd = openSync(raw, 'r+');
  try {
    writeSync(fd, randomBytes(root.end - root.start), 0, root.end - root.start, root.start);
  } finally {
    closeSync(fd);
  }

  const xz = `${raw}.xz`;
  writeFileSync(xz, execFileSync('xz', ['-T1', '-1', '-c', raw], { maxBuffer: 256 << 20 }));
  const key = makeGpgKey(dir, 'metal');
  key.sign(xz);
  return {
    raw,
    xz,
    size,
    sectorSize: 512,
    gpt,
    key,
    partition,
    sha256: (start, end) => createHash('sha256').update(readFileSync(raw).subarray(start, end)).digest('hex'),
  };
}

/** sha256 of a byte range of any file. */
export function fileSha256(path: string, start = 0, end?: number): string {
  const data = readFileSync(path);
  return createHash('sha256')
    .update(data.subarray(start, end ?? data.length))
    .digest('hex');
}
