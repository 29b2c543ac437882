// A small NestOS-like installed disk for the osmet tests (root only to use):
// GPT with BIOS-BOOT, EFI-SYSTEM (vfat), `boot` (ext4: BLS entry, grub.cfg,
// the kernel and initramfs, which are also OSTree objects) and `root` (ext4:
// an OSTree repository whose objects/xx/*.file hold most of the data, a
// deployment hardlinked to them, and some config files), as a metal build
// leaves it. Tools: sgdisk (gdisk), mkfs.ext4 (e2fsprogs), mkfs.vfat (dosfstools).

import { createHash, randomBytes } from 'node:crypto';
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Gpt } from '../../src/blockdev/gpt.js';
import { bootPartition, ext4Partition, metalDisk } from './metal-image.js';

export interface NestosDisk {
  raw: string;
  size: number;
  sha256: string;
  gpt: Gpt;
  /** Total bytes of object files (random, incompressible). */
  objectBytes: number;
  partition(label: string): { start: number; end: number };
}

function putObject(repo: string, data: Buffer): string {
  const sum = createHash('sha256').update(data).digest('hex');
  const dir = join(repo, 'objects', sum.slice(0, 2));
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${sum.slice(2)}.file`);
  writeFileSync(path, data);
  return path;
}

/** Build `<dir>/nestos-metal.raw` (`sizeMiB` MiB, 512-byte sectors) with `objectMiB` MiB of objects. */
export async function buildNestosDisk(dir: string, objectMiB = 24, sizeMiB = 64): Promise<NestosDisk> {
  const disk = await metalDisk(dir, sizeMiB, { bootMiB: 12 });
  const { raw, size, gpt, partition } = disk;

  // MBR boot code, as a bootloader install leaves it.
  const fd = openSync(raw, 'r+');
  writeSync(fd, Buffer.from('eb6390', 'hex'), 0, 3, 0);
  writeSync(fd, randomBytes(400), 0, 400, 3);
  closeSync(fd);

  // root: the repository and a deployment made of hardlinks into it.
  const rootTree = join(dir, 'root-tree');
  const repo = join(rootTree, 'ostree', 'repo');
  const deploy = join(rootTree, 'ostree', 'deploy', 'nestos', 'deploy', '5f0e9a.0');
  mkdirSync(join(repo, 'objects'), { recursive: true });
  mkdirSync(join(deploy, 'usr', 'lib'), { recursive: true });
  mkdirSync(join(deploy, 'etc'), { recursive: true });
  writeFileSync(join(repo, 'config'), '[core]\nrepo_version=1\nmode=bare\n');
  let objectBytes = 0;
  let n = 0;
  const target = objectMiB << 20;
  while (objectBytes < target) {
    // Sizes from 1 KiB to 1 MiB, a few of them not block multiples.
    const len = Math.min(target - objectBytes, 1024 + ((n * 7919 * 131) % (1 << 20)) + (n % 3 === 0 ? 123 : 0));
    const path = putObject(repo, randomBytes(len));
    linkSync(path, join(deploy, 'usr', 'lib', `lib${n}.so`));
    objectBytes += len;
    n++;
  }
  const kernel = randomBytes(900_001);
  const initramfs = randomBytes(2 * (1 << 20) + 77);
  putObject(repo, kernel);
  putObject(repo, initramfs);
  objectBytes += kernel.length + initramfs.length;
  writeFileSync(join(deploy, 'etc', 'os-release'), 'NAME="NestOS"\nPRETTY_NAME="NestOS For Container 22.03-LTS"\n');
  ext4Partition(disk, 'root', rootTree, ['-b', '4096']);

  // boot: BLS entry, grub.cfg, and the kernel and initramfs (byte-identical to objects).
  bootPartition(dir, disk, {
    family: 'nestos',
    title: 'NestOS 22.03 (ostree)',
    kernelDir: '/ostree/nestos-5f0e9a',
    files: { 'ostree/nestos-5f0e9a/vmlinuz': kernel, 'ostree/nestos-5f0e9a/initramfs.img': initramfs },
  });

  const sha256 = createHash('sha256').update(readFileSync(raw)).digest('hex');
  return { raw, size, sha256, gpt, objectBytes, partition };
}
