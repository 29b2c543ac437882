// write_disk (SPEC 3.2 step 13): the verified image write with saved
// partitions, reread, post-processing on the boot partition, fsync.
// Contract: if this throws after `state.touched` became true, the caller
// resets the partition table (3.9); before that, nothing was written.

import { constants as fsConstants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { deviceSize, partxUpdate, rereadPartitionTable, runTool, type Target } from '../blockdev/device.js';
import { listPartitions, type PartitionInfo } from '../blockdev/lsblk.js';
import { withMount } from '../blockdev/mount.js';
import type { SavedPartitions } from '../blockdev/saved-partitions.js';
import { openDirect } from '../io/direct-io.js';
import { writeFully } from '../io/file-io.js';
import { STAGING_BUFFERS } from '../io/image-sink.js';
import type { TrustedKeys } from '../io/keys.js';
import { writeImage, type HoldBack } from '../io/write-image.js';
import type { ImageSource } from '../source/location.js';
import { CliError, ContextError, context } from '../util/errors.js';
import { configureBoot, needsPostProcessing, type BootConfig } from './boot-config.js';
import { checkImageFits } from './preflight.js';

export interface DiskState {
  /** Set just before the first byte is written to the destination. */
  touched: boolean;
}

/** Install's hold-back (SPEC 2.9 steps 3 and 5, 3.5.3, 3.5.4), with the fits check first. */
export class InstallHoldBack implements HoldBack {
  constructor(
    private readonly target: Target,
    private readonly saved: SavedPartitions,
    private readonly deviceLength: number,
    private readonly state: DiskState,
  ) {}

  async placeholder(dest: FileHandle, firstMiB: Buffer): Promise<void> {
    await checkImageFits(firstMiB, this.target.path, this.deviceLength, this.saved.limit);
    this.state.touched = true;
    await this.saved.overwrite(dest, this.deviceLength).catch(context('overwriting disk partition table'));
    await dest.sync().catch(context('flushing data to disk'));
  }

  async commit(dest: FileHandle, firstMiB: Buffer): Promise<void> {
    if (this.saved.isEmpty) {
      await writeFully(dest, firstMiB, 0).catch(context('writing first MiB of disk'));
      return;
    }
    await this.saved.commitMerged(dest, firstMiB, this.deviceLength);
  }
}

export interface WriteDiskOptions {
  target: Target;
  source: ImageSource;
  keys: TrustedKeys;
  saved: SavedPartitions;
  sectorSize: number;
  boot: BootConfig;
  signal: AbortSignal;
}

/** Open the destination for writing: O_EXCL on block devices (fails while mounted). */
export async function openDestination(target: Target): Promise<FileHandle> {
  const flags = fsConstants.O_RDWR | (target.kind === 'block' ? fsConstants.O_EXCL : 0);
  return open(target.canonical, flags).catch(context(`opening ${target.path}`));
}

const DIRECT_UNIT = 4096;
/** Each direct write: 1 MiB, as `dd bs=1M oflag=direct`. */
const DIRECT_STAGING = 1 << 20;

/** The bytes after which the image may not go: the first saved partition, or the end of the device. */
function writeLimit(saved: SavedPartitions, deviceLength: number, dev: string): { bytes: number; describe: string } {
  const limit = saved.limit;
  if (limit !== undefined && limit.bytes <= deviceLength) return limit;
  return { bytes: deviceLength, describe: `end of ${dev}` };
}

export async function writeDisk(opts: WriteDiskOptions, state: DiskState): Promise<void> {
  const { target, saved } = opts;
  const length = await deviceSize(target);
  const dest = await openDestination(target);
  // O_DIRECT for the image body on block devices: whole 4 KiB units (any logical sector size divides it).
  const direct = target.kind === 'block' ? await openDirect(target.canonical, DIRECT_UNIT, DIRECT_STAGING, STAGING_BUFFERS) : undefined;
  try {
    await writeImage(opts.source, dest, {
      decompress: true,
      keys: opts.keys,
      limit: writeLimit(saved, length, target.path),
      expectedSectorSize: opts.sectorSize,
      holdBack: new InstallHoldBack(target, saved, length, state),
      signal: opts.signal,
      ...(direct !== undefined ? { direct } : {}),
    });
  } finally {
    await direct?.handle.close();
    await dest.close();
  }
  // Ctrl-C after the image was written still fails the install (and wipes it):
  // checked between steps, so a mount or loop device is always released first.
  opts.signal.throwIfAborted();
  if (target.kind === 'block') await rereadPartitionTable(target.canonical);
  if (needsPostProcessing(opts.boot)) await postProcess(target, opts.boot, opts.sectorSize, opts.signal);
  opts.signal.throwIfAborted();
  await syncDestination(target);
  opts.signal.throwIfAborted();
}

export async function syncDestination(target: Target): Promise<void> {
  const handle = await open(target.canonical, 'r+').catch(context('syncing data to disk'));
  try {
    await handle.sync().catch(context('syncing data to disk'));
  } finally {
    await handle.close();
  }
}

/** SPEC 3.8.1: exactly one partition labelled `boot`, with a filesystem type. */
export function findBoot(dev: string, parts: PartitionInfo[]): PartitionInfo & { fstype: string } {
  if (parts.length === 0) throw new CliError(`couldn't find any partitions on ${dev}`);
  const boots = parts.filter((p) => p.label === 'boot');
  if (boots.length === 0) throw new CliError(`couldn't find boot device for ${dev}`);
  if (boots.length > 1) throw new CliError(`found multiple devices on ${dev} with label "boot"`);
  const boot = boots[0] as PartitionInfo;
  if (boot.fstype === undefined) throw new CliError(`couldn't get filesystem type of boot device for ${dev}`);
  return { ...boot, fstype: boot.fstype };
}

async function configureOn(disk: string, label: string, boot: BootConfig, signal: AbortSignal): Promise<void> {
  const part = findBoot(label, await listPartitions(disk));
  signal.throwIfAborted();
  await withMount(part.path, part.fstype, async (dir) => {
    signal.throwIfAborted();
    await configureBoot(dir, boot);
    signal.throwIfAborted();
  });
}

/** Post-processing; a disk-image file is attached as a loop device for it and detached after. */
async function postProcess(target: Target, boot: BootConfig, sectorSize: number, signal: AbortSignal): Promise<void> {
  if (target.kind === 'block') {
    await configureOn(target.canonical, target.path, boot, signal);
    return;
  }
  const loop = (
    await runTool('losetup', ['-f', '--show', '-P', '-b', String(sectorSize), target.canonical]).catch((err: unknown) => {
      throw new ContextError(`attaching ${target.path} to a loop device`, err);
    })
  ).trim();
  try {
    await partxUpdate(loop);
    await configureOn(loop, target.path, boot, signal);
  } finally {
    await runTool('losetup', ['-d', loop]).catch(() => undefined);
  }
}
