// Disk-image files on loop devices, for the tests that need real block devices
// (root). Every loop device attached and every file system mounted through
// loopDisks() is released when the describe (or the test) that made it ends:
// mounts first, newest first, then the loop devices, so none outlives the run
// (test/global-setup.ts fails the run otherwise). Make it after the tmpDir()
// it works in, so that it is released before that directory is removed.
// unattachedLoopDevice() gives a loop device no other test can attach.
// Tools: losetup, partx, mount, umount (util-linux, mount); mknod, blockdev
// and python3 (the loop-control ioctl) for unattachedLoopDevice().

import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, onTestFinished } from 'vitest';

/** The byte a fresh disk file is filled with, so that what was never written shows. */
export const DISK_PATTERN = 0xa5;

export interface AttachOptions {
  /** Attach read-only (`losetup --read-only`). */
  readOnly?: boolean;
  /** Also `partx -u` the new device, for a file that has a partition table already. */
  partx?: boolean;
}

export interface LoopDisks {
  /** `<dir>/<name>`: a file of `mib` MiB filled with DISK_PATTERN. */
  file(name: string, mib: number): string;
  /** `losetup --find --show --partscan` of `file`; the device, detached at the end. */
  attach(file: string, opts?: AttachOptions): string;
  /**
   * A disk file of `mib` MiB, attached. `prepare` runs on the file before it is
   * attached (e.g. to partition it); then the device is also `partx -u`'d.
   */
  disk(name: string, mib: number, prepare?: (file: string) => void): { file: string; loop: string };
  /** Detach a device now. */
  detach(loop: string): void;
  /** Mount `dev` read-only on a fresh directory in `dir`; unmounted at the end. */
  mountRo(dev: string): string;
  /** Unmount now. */
  unmount(mountPoint: string): void;
}

const sh = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function forget(list: string[], item: string): void {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}

/** Loop devices and mounts for files in `dir` (a tmpDir()), released when the describe or test ends. */
export function loopDisks(dir: string): LoopDisks {
  const loops: string[] = [];
  const mounts: string[] = [];

  const release = (): void => {
    for (const m of mounts.splice(0).reverse()) {
      try {
        sh('umount', [m]);
      } catch {
        // already unmounted
      }
    }
    for (const l of loops.splice(0)) {
      try {
        sh('losetup', ['-d', l]);
      } catch {
        // already detached
      }
    }
  };
  try {
    onTestFinished(release);
  } catch {
    afterAll(release);
  }

  const file = (name: string, mib: number): string => {
    const path = join(dir, name);
    const block = Buffer.alloc(1 << 20, DISK_PATTERN);
    const fd = openSync(path, 'w');
    try {
      for (let i = 0; i < mib; i++) writeSync(fd, block);
    } finally {
      closeSync(fd);
    }
    return path;
  };

  const attach = (path: string, opts: AttachOptions = {}): string => {
    const loop = sh('losetup', ['--find', '--show', '--partscan', ...(opts.readOnly ? ['--read-only'] : []), path]).trim();
    loops.push(loop);
    if (opts.partx) sh('partx', ['-u', loop]);
    return loop;
  };

  return {
    file,
    attach,
    disk(name, mib, prepare) {
      const path = file(name, mib);
      prepare?.(path);
      return { file: path, loop: attach(path, { partx: prepare !== undefined }) };
    },
    detach(loop) {
      sh('losetup', ['-d', loop]);
      forget(loops, loop);
    },
    mountRo(dev) {
      const m = mkdtempSync(join(dir, 'mnt-'));
      sh('mount', ['-o', 'ro', dev, m]);
      mounts.push(m);
      return m;
    },
    unmount(mountPoint) {
      sh('umount', [mountPoint]);
      forget(mounts, mountPoint);
    },
  };
}

/** The first loop index unattachedLoopDevice() tries: `losetup -f` takes the lowest free one, never this high. */
const PRIVATE_LOOP_INDEX = 200;

/**
 * A loop device that exists but has no backing file, as a node `<dir>/loopN`
 * of a high index no other test attaches (unlike `losetup -f`'s answer, which
 * a test running beside this one may attach before it is used). Opening the
 * node makes the kernel create the device; it is removed again (the
 * loop-control ioctl LOOP_CTL_REMOVE) with the node when the test ends.
 */
export function unattachedLoopDevice(dir: string): string {
  const maxPart = Number(readFileSync('/sys/module/loop/parameters/max_part', 'utf8').trim());
  // loop.c: minor = index << part_shift, part_shift = fls(max_part) when max_part > 0.
  const partShift = maxPart > 0 ? Math.floor(Math.log2(maxPart)) + 1 : 0;
  let index = PRIVATE_LOOP_INDEX;
  while (existsSync(`/sys/block/loop${index}`)) index++;
  const node = join(dir, `loop${index}`);
  sh('mknod', [node, 'b', '7', String(index << partShift)]);
  const release = (): void => {
    rmSync(node, { force: true });
    try {
      execFileSync(
        'python3',
        ['-c', 'import fcntl, os, sys; fcntl.ioctl(os.open("/dev/loop-control", os.O_RDWR), 0x4C81, int(sys.argv[1]))', String(index)],
        {
          stdio: 'ignore',
        },
      );
    } catch {
      // attached meanwhile, or already gone: nothing of ours to remove
    }
  };
  try {
    onTestFinished(release);
  } catch {
    afterAll(release);
  }
  sh('blockdev', ['--getsize64', node]);
  return node;
}
