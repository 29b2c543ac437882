// Mounting the installed boot partition on a private temporary directory
// (SPEC 3.8.1, 9 option (a)): mkdtemp (0700), mount, and always unmount
// (20 tries × 100 ms) and remove the directory afterwards.

import { mkdtemp, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { invokedFamily } from '../util/family.js';
import { ContextError, layerMessage } from '../util/errors.js';
import { warn } from '../util/log.js';
import { runTool } from './device.js';

/** Mount `device` (filesystem `fstype`) on a fresh temp dir, run `fn`, then unmount and clean up. */
export async function withMount<T>(device: string, fstype: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), invokedFamily().tempDirPrefix));
  try {
    await runTool('mount', ['-t', fstype, device, dir]);
  } catch (err) {
    await rmdir(dir).catch(() => undefined);
    throw new ContextError(`mounting device ${device} on ${dir}`, err);
  }
  try {
    return await fn(dir);
  } finally {
    await unmount(device, dir);
  }
}

async function unmount(device: string, dir: string): Promise<void> {
  let last: unknown;
  for (let i = 0; i < 20; i++) {
    try {
      await runTool('umount', [dir]);
      last = undefined;
      break;
    } catch (err) {
      last = err;
      await sleep(100);
    }
  }
  if (last !== undefined) {
    warn(`umounting ${device}: ${layerMessage(last)}`);
    return;
  }
  await rmdir(dir).catch((err: unknown) => warn(`removing ${dir}: ${layerMessage(err)}`));
}
