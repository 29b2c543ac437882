// Checks before the first write (SPEC 3.4, 3.2 steps 10-11): exclusive
// access (mounted, swap, holders) and the image-fits check on the first MiB.

import { readMountinfo } from '../blockdev/mounts.js';
import { bufferReader, readGpt } from '../blockdev/gpt.js';
import { deviceNumber, listPartitions, type PartitionInfo } from '../blockdev/lsblk.js';
import { runTool, tryRereadOnce, type Target } from '../blockdev/device.js';
import { CliError } from '../util/errors.js';
import { info } from '../util/log.js';

function busyLines(p: PartitionInfo): string[] {
  const lines = p.mountpoints.map((m) => `    ${p.path} mounted on ${m}`);
  if (p.swap) lines.push(`    ${p.path} is swap device`);
  for (const h of p.holders) lines.push(`    ${p.path} in use by ${h}`);
  return lines;
}

/** Print the "Partitions in use" report and throw, if any partition is busy. */
async function refuseBusy(dev: string, disks: string[]): Promise<boolean> {
  const parts: PartitionInfo[] = [];
  for (const disk of disks) parts.push(...(await listPartitions(disk)));
  const busy = parts.filter((p) => busyLines(p).length > 0).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  if (busy.length === 0) return false;
  info(`Partitions in use on ${dev}:`);
  for (const p of busy) for (const line of busyLines(p)) info(line);
  throw new CliError('found busy partitions');
}

/** Loop devices currently backed by a disk-image file (`losetup -j`). */
export async function loopDevicesOf(file: string): Promise<string[]> {
  const out = await runTool('losetup', ['-j', file]).catch(() => '');
  return out
    .split('\n')
    .map((l) => l.split(':')[0] ?? '')
    .filter((d) => d.startsWith('/dev/'));
}

/** SPEC 3.4 (caller adds "checking for exclusive access to <dev>"). */
export async function checkExclusiveAccess(target: Target): Promise<void> {
  if (target.kind === 'file') {
    // E8: a disk image attached as loop devices is in use when anything on them is mounted.
    const loops = await loopDevicesOf(target.canonical);
    if (loops.length === 0) return;
    const mounts = await readMountinfo();
    for (const loop of loops) {
      const number = await deviceNumber(loop);
      const whole = mounts.find((m) => m.devno === number);
      if (whole !== undefined) {
        info(`Partitions in use on ${target.path}:`);
        info(`    ${loop} mounted on ${whole.mountPoint}`);
        throw new CliError('found busy partitions');
      }
    }
    await refuseBusy(target.path, loops);
    return;
  }
  const failure = await tryRereadOnce(target.canonical);
  if (failure === undefined) return;
  await refuseBusy(target.path, [target.canonical]);
  if (target.canonical.startsWith('/dev/dm-')) return;
  throw failure;
}

/** Image length from its GPT (backup header LBA + 1 sectors), when the first MiB holds one. */
export async function imageLengthFromGpt(firstMiB: Buffer): Promise<number | undefined> {
  try {
    const gpt = await readGpt(bufferReader(firstMiB));
    if (gpt === undefined || gpt.header.currentLba !== 1) return undefined;
    return (gpt.header.backupLba + 1) * gpt.sectorSize;
  } catch {
    return undefined;
  }
}

/**
 * Refuse before writing when the first MiB shows the image cannot fit: past
 * the end of the device, or into the first saved partition.
 */
export async function checkImageFits(
  firstMiB: Buffer,
  dev: string,
  deviceLength: number,
  savedLimit: { bytes: number; describe: string } | undefined,
): Promise<void> {
  const length = await imageLengthFromGpt(firstMiB);
  if (length === undefined) return;
  if (length > deviceLength) {
    throw new CliError(`image is ${length} bytes but ${dev} has only ${deviceLength} bytes`);
  }
  if (savedLimit !== undefined && length > savedLimit.bytes) {
    throw new CliError(`collision with ${savedLimit.describe} at offset ${savedLimit.bytes}`);
  }
}
