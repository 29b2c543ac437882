// A small NestOS-like installed disk for the osmet tests (root only to use):
// GPT with BIOS-BOOT, EFI-SYSTEM (vfat), `boot` (ext4: BLS entry, grub.cfg,
// the kernel and initramfs, which are also OSTree objects) and `root` (ext4:
// an OSTree repository whose objects/xx/*.file hold most of the data, a
// deployment hardlinked to them, and some config files), as a metal build
// leaves it. Tools: sgdisk (gdisk), mkfs.ext4 (e2fsprogs), mkfs.vfat (dosfstools).

import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { bufferReader, readGpt, type Gpt } from '../../src/blockdev/gpt.js';
import { BLS_OPTIONS, GRUB_CFG } from './metal-image.js';

export interface NestosDisk {
  raw: string;
  size: number;
  sha256: string;
  gpt: Gpt;
  /** Total bytes of object files (random, incompressible). */
  objectBytes: number;
  partition(label: string): { start: number; end: number };
}

function tool(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function copyAt(dest: string, src: string, offset: number): void {
  const data = readFileSync(src);
  const fd = openSync(dest, 'r+');
  try {
    writeSync(fd, data, 0, data.length, offset);
  } finally {
    closeSync(fd);
  }
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
    '-n3:0:+12M',
    '-t3:8300',
    '-c3:boot',
    '-n4:0:0',
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

  // MBR boot code, as a bootloader install leaves it.
  const fd = openSync(raw, 'r+');
  writeSync(fd, Buffer.from('eb6390', 'hex'), 0, 3, 0);
  writeSync(fd, randomBytes(400), 0, 400, 3);
  closeSync(fd);

  const esp = join(dir, 'esp.img');
  tool('mkfs.vfat', ['-n', 'EFI-SYSTEM', '-C', esp, String(8 * 1024)]);
  copyAt(raw, esp, partition('EFI-SYSTEM').start);

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
  const rootImg = join(dir, 'root.img');
  const root = partition('root');
  tool('mkfs.ext4', ['-q', '-F', '-b', '4096', '-L', 'root', '-d', rootTree, rootImg, `${(root.end - root.start) >> 10}K`]);
  copyAt(raw, rootImg, root.start);

  // boot: BLS entry, grub.cfg, and the kernel and initramfs (byte-identical to objects).
  const bootTree = join(dir, 'boot-tree');
  const kdir = join(bootTree, 'ostree', 'nestos-5f0e9a');
  mkdirSync(join(bootTree, 'loader', 'entries'), { recursive: true });
  mkdirSync(join(bootTree, 'grub2'), { recursive: true });
  mkdirSync(kdir, { recursive: true });
  writeFileSync(
    join(bootTree, 'loader', 'entries', 'ostree-1-nestos.conf'),
    `title NestOS 22.03 (ostree)\nversion 1\nlinux /ostree/nestos-5f0e9a/vmlinuz\ninitrd /ostree/nestos-5f0e9a/initramfs.img\noptions ${BLS_OPTIONS}\n`,
  );
  writeFileSync(join(bootTree, 'grub2', 'grub.cfg'), GRUB_CFG);
  writeFileSync(join(bootTree, 'ignition.firstboot'), '# Set by coreos-ignition-firstboot\n');
  writeFileSync(join(kdir, 'vmlinuz'), kernel);
  writeFileSync(join(kdir, 'initramfs.img'), initramfs);
  const bootImg = join(dir, 'boot.img');
  const boot = partition('boot');
  tool('mkfs.ext4', ['-q', '-F', '-L', 'boot', '-d', bootTree, bootImg, `${(boot.end - boot.start) >> 10}K`]);
  copyAt(raw, bootImg, boot.start);

  const sha256 = createHash('sha256').update(readFileSync(raw)).digest('hex');
  return { raw, size, sha256, gpt, objectBytes, partition };
}
