// After write_disk: the failure path (SPEC 3.9) and the duplicate `boot`
// label note after success (3.10).

import { ToolError, deviceReadOnly, deviceRemoved, deviceSize, rereadPartitionTable, runTool, type Target } from '../blockdev/device.js';
import { parseBlkid } from '../blockdev/lsblk.js';
import type { SavedPartitions } from '../blockdev/saved-partitions.js';
import { ContextError, formatErrorChain, hasErrorCode, layerMessage } from '../util/errors.js';
import { info } from '../util/log.js';
import { openDestination } from './write-disk.js';

/**
 * What a write to a vanished device fails with: ENOSPC too, since the kernel
 * drops a removed disk's capacity to 0 before the writer's next pwrite.
 */
const REMOVED_CODES = ['ENXIO', 'ENODEV', 'EIO', 'ENOSPC', 'ENOENT'];
/** What a write to a read-only block device fails with. */
const READ_ONLY_CODES = ['EROFS', 'EPERM', 'EACCES'];

/**
 * The install error with its cause named when the disk itself failed under
 * us: `device <dev> was removed` (its sysfs entry is gone) or `device <dev>
 * is read-only` (it turned read-only during the write). Other errors are
 * returned as they are.
 */
export async function explainDeviceFault(target: Target, err: unknown): Promise<unknown> {
  if (target.kind !== 'block') return err;
  if (REMOVED_CODES.some((code) => hasErrorCode(err, code)) && deviceRemoved(target)) {
    return new ContextError(`device ${target.path} was removed`, err);
  }
  if (READ_ONLY_CODES.some((code) => hasErrorCode(err, code)) && (await deviceReadOnly(target))) {
    return new ContextError(`device ${target.path} is read-only`, err);
  }
  return err;
}

/**
 * 3.9 steps 2-3: keep the table (stashing saved entries) or reset it to the
 * saved set. Never throws: a failure here is reported and the install still
 * ends with `install failed`.
 */
export async function handleFailure(target: Target, saved: SavedPartitions, preserve: boolean): Promise<void> {
  try {
    if (preserve) {
      info('Preserving partition table as requested');
      if (!saved.isEmpty) info(`Storing saved partition entries to ${await saved.stash(await deviceSize(target))}`);
      return;
    }
    if (deviceRemoved(target)) {
      info(`Not resetting partition table: ${target.path} was removed`);
      return;
    }
    info('Resetting partition table');
    const length = await deviceSize(target);
    const dest = await openDestination(target);
    try {
      await saved.overwrite(dest, length).catch((err: unknown) => {
        throw new ContextError('restoring saved partitions', err);
      });
      await dest.sync();
    } finally {
      await dest.close();
    }
    if (target.kind === 'block') await rereadPartitionTable(target.canonical);
  } catch (err) {
    process.stderr.write(formatErrorChain(await explainDeviceFault(target, err)));
  }
}

/** 3.10 steps 2-4 (pure part): devices labelled boot, one per UUID, minus RAID members. */
export function otherBootDevices(blkidText: string, installDevice: string): string[] | undefined {
  const seen = new Set<string>();
  const keep: string[] = [];
  for (const { name, fields } of parseBlkid(blkidText)) {
    if (fields['LABEL'] !== 'boot' || fields['USAGE'] === 'raid') continue;
    const uuid = fields['UUID'];
    if (uuid !== undefined) {
      if (seen.has(uuid)) continue;
      seen.add(uuid);
    }
    keep.push(name);
  }
  if (keep.length <= 1) return undefined;
  return keep.filter((d) => !d.includes(installDevice));
}

/**
 * 3.10, best effort. Deviation: the other disks' tables are not reread
 * (BLKRRPART on idle loop devices would drop partitions the kernel here
 * only knows from partx).
 */
export async function noteOtherBootFilesystems(installDevice: string): Promise<void> {
  try {
    const devices = (await runTool('blkid', ['--cache-file', '/dev/null', '-o', 'device']).catch(() => ''))
      .split('\n')
      .filter((d) => d !== '');
    if (devices.length === 0) return;
    // blkid exits 2 when one device has nothing to report; its stdout still lists the rest.
    const text = await runTool('blkid', ['-p', ...devices]).catch((err: unknown) => (err instanceof ToolError ? err.stdout : ''));
    const others = otherBootDevices(text, installDevice);
    if (others === undefined) return;
    info('');
    info('Note: detected other devices with a filesystem labeled `boot`:');
    for (const d of others) info(`  - ${d}`);
    info('The installed OS may not work correctly if there are multiple boot filesystems.');
    info('Before rebooting, investigate whether these filesystems are needed and consider');
    info('wiping them with `wipefs -a`.');
    info('');
  } catch (err) {
    info(`checking filesystems labeled 'boot': ${layerMessage(err)}`);
  }
}
