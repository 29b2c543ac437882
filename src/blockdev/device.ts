// Block-device facts and operations Node cannot do with ioctls (SPEC 9):
// util-linux tools spawned with argument arrays, /sys and /run/udev.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { CliError, ContextError } from '../util/errors.js';
import { debug } from '../util/log.js';

/** A failed child process: the tool's own stderr is the message. */
export class ToolError extends Error {
  override name = 'ToolError';
  constructor(
    readonly tool: string,
    readonly stderr: string,
    readonly exitCode: number | undefined,
    readonly stdout = '',
  ) {
    super(stderr.trim() !== '' ? stderr.trim() : `${tool} failed${exitCode !== undefined ? ` with status ${exitCode}` : ''}`);
  }
}

/** Run a tool (never through a shell) and return its stdout. */
export function runTool(tool: string, args: string[], opts: { input?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(tool, args, { maxBuffer: 16 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) {
        const code = typeof err.code === 'number' ? err.code : undefined;
        if (typeof err.code === 'string') reject(new ContextError(`running ${tool}`, err));
        else reject(new ToolError(tool, stderr, code, stdout));
        return;
      }
      resolve(stdout);
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

export type TargetKind = 'block' | 'file';

export interface Target {
  /** As given by the user. */
  path: string;
  /** realpath of it. */
  canonical: string;
  kind: TargetKind;
  /**
   * The device number of a block device, taken when it was inspected: its
   * node is gone once the device is removed, and the number still finds
   * (or no longer finds) its sysfs entry.
   */
  rdev?: number;
}

/** The sysfs directory of the block device with this device number (glibc's major()/minor()). */
function sysfsBlockDir(rdev: number): string {
  const major = Math.floor(rdev / 256) & 0xfff;
  const minor = (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
  return `/sys/dev/block/${major}:${minor}`;
}

/**
 * SPEC 3.2 step 6 and E8: the destination must exist and be a block device
 * or an existing regular file (never created).
 */
export async function inspectTarget(path: string): Promise<Target> {
  let canonical: string;
  try {
    canonical = await realpath(path);
  } catch (err) {
    throw new ContextError(`checking whether ${path} is an IBM DASD disk`, new ContextError(`getting absolute path to ${path}`, err));
  }
  const st = await stat(canonical).catch((err: unknown) => {
    throw new ContextError(`getting sector size of ${path}`, err);
  });
  if (st.isBlockDevice()) {
    // An unattached loop device (or a drive without a medium) has size 0: say so
    // now rather than let lsblk fail later with a bare status.
    const sysfs = sysfsBlockDir(st.rdev);
    const sectors = await readFile(`${sysfs}/size`, 'utf8').catch(() => undefined);
    if (sectors?.trim() === '0') {
      throw new ContextError(`getting sector size of ${path}`, new CliError(`${path} has no medium (size 0; an unattached loop device?)`));
    }
    // Writing a disk image into a partition would leave neither a bootable disk
    // nor the partition's data; refused before anything is read or written.
    if (existsSync(`${sysfs}/partition`)) {
      throw new ContextError(`getting sector size of ${path}`, new CliError(`${path} is a partition, not a whole disk`));
    }
    return { path, canonical, kind: 'block', rdev: st.rdev };
  }
  if (st.isFile()) return { path, canonical, kind: 'file' };
  throw new ContextError(`getting sector size of ${path}`, new CliError(`"${path}" is not a block device`));
}

/**
 * A number the kernel publishes for the block device in sysfs (what the
 * BLKSSZGET and BLKGETSIZE64 ioctls return), or undefined without sysfs.
 * Saves starting `blockdev` for each.
 */
async function sysfsNumber(target: Target, file: string): Promise<number | undefined> {
  try {
    const n = Number((await readFile(`${sysfsBlockDir((await stat(target.canonical)).rdev)}/${file}`, 'utf8')).trim());
    return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Logical sector size (BLKSSZGET, from sysfs or `blockdev --getss`); 512 for a disk-image file. */
export async function sectorSize(target: Target): Promise<number> {
  if (target.kind === 'file') return 512;
  const sysfs = await sysfsNumber(target, 'queue/logical_block_size');
  if (sysfs !== undefined && sysfs > 0) return sysfs;
  try {
    const out = await runTool('blockdev', ['--getss', target.canonical]);
    const n = Number(out.trim());
    if (!Number.isInteger(n) || n <= 0) throw new Error(`unexpected blockdev output '${out.trim()}'`);
    return n;
  } catch (err) {
    throw new ContextError(`getting sector size of ${target.path}`, err);
  }
}

/** Length in bytes (BLKGETSIZE64, from sysfs or `blockdev --getsize64`; a file's size). */
export async function deviceSize(target: Target): Promise<number> {
  if (target.kind === 'file') return (await stat(target.canonical)).size;
  // sysfs counts 512-byte units whatever the logical sector size.
  const sectors = await sysfsNumber(target, 'size');
  if (sectors !== undefined) return sectors * 512;
  const out = await runTool('blockdev', ['--getsize64', target.canonical]).catch((err: unknown) => {
    throw new ContextError(`getting size of ${target.path}`, err);
  });
  return Number(out.trim());
}

/**
 * Whether the block device is gone (hot-unplugged, detached): its sysfs entry
 * no longer exists. False for a file, or when it cannot be told.
 */
export function deviceRemoved(target: Target): boolean {
  if (target.kind !== 'block' || target.rdev === undefined || !existsSync('/sys/dev/block')) return false;
  return !existsSync(sysfsBlockDir(target.rdev));
}

/** Whether the block device is read-only now (sysfs `ro`, what `blockdev --getro` asks). */
export async function deviceReadOnly(target: Target): Promise<boolean> {
  if (target.kind !== 'block') return false;
  if (target.rdev !== undefined) {
    const ro = await readFile(`${sysfsBlockDir(target.rdev)}/ro`, 'utf8').catch(() => undefined);
    if (ro !== undefined) return ro.trim() === '1';
  }
  return (await runTool('blockdev', ['--getro', target.canonical]).catch(() => '')).trim() === '1';
}

/** 3.7 wording for a failed BLKRRPART, from blockdev's errno text. */
export function rereadError(stderr: string): CliError {
  if (stderr.includes('Invalid argument')) return new CliError("couldn't reread partition table: device may not support partitions");
  if (stderr.includes('Device or resource busy')) return new CliError("couldn't reread partition table: device is in use");
  return new CliError("couldn't reread partition table");
}

/** One BLKRRPART; resolves to the error instead of throwing. */
export async function tryRereadOnce(dev: string): Promise<CliError | undefined> {
  try {
    await runTool('blockdev', ['--rereadpt', dev]);
    return undefined;
  } catch (err) {
    return rereadError(err instanceof ToolError ? err.stderr : String(err));
  }
}

/** Ask the kernel to match its partitions to the table (BLKPG); kernels without GPT parsing need it. */
export async function partxUpdate(dev: string): Promise<void> {
  // -u updates and removes partitions but never adds one the kernel does not
  // know yet (a saved partition restored after a failure): -a adds those.
  for (const flag of ['-u', '-a']) {
    try {
      await runTool('partx', [flag, dev]);
    } catch (err) {
      // An empty or absent table makes partx complain ("range <1:0>"), and -a
      // reports partitions that already exist; the table is current all the same.
      debug(`partx ${flag} ${dev}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

/** Wait for udev, or skip when there is no udev (deviation: upstream fails without /run/udev/control). */
export async function udevSettle(): Promise<void> {
  if (!existsSync('/run/udev/control')) {
    debug('no /run/udev/control: skipping udevadm settle');
    return;
  }
  await sleep(200);
  await runTool('udevadm', ['settle']);
}

/** SPEC 3.7: BLKRRPART up to 20 × 100 ms, then partx -u and udev settle. */
export async function rereadPartitionTable(dev: string, tries = 20): Promise<void> {
  let last: CliError | undefined;
  for (let i = 0; i < tries; i++) {
    last = await tryRereadOnce(dev);
    if (last === undefined) break;
    if (i + 1 < tries) await sleep(100);
  }
  if (last !== undefined) throw last;
  await partxUpdate(dev);
  await udevSettle();
}

/** Whether udev metadata can be trusted (lsblk LABEL/FSTYPE). */
export function haveUdev(): boolean {
  return existsSync('/run/udev/control');
}
