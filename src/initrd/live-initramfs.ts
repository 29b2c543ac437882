// Reading a live PXE initramfs for `pxe customize` (SPEC 5.5 step 3): every
// input byte is passed on unchanged, in order, while the members that
// matter are picked out as the archives stream past: both families' stamps
// and features, config.ign and the network keyfiles. The members decide the
// family. Memory stays flat whatever the initramfs size.

import type { FileHandle } from 'node:fs/promises';
import { BUFFER_SIZE, INITRD_IGNITION_PATH } from '../util/constants.js';
import { withContext } from '../util/errors.js';
import { FAMILIES, familyOfInitrdMembers, type OsFamily } from '../util/family.js';
import { compileGlob } from '../util/glob.js';
import { Initrd } from './initrd.js';
import { ChunkSource, scanInitrd } from './stream-scan.js';

export interface LiveInitramfsScan {
  /** The family whose stamp or features the input carries; undefined = not a live initramfs. */
  family: OsFamily | undefined;
  /** The picked members (stamps, features, config.ign, keyfiles). */
  members: Initrd;
}

/** Names kept while scanning: what step 3 lists, for both families. */
function scanFilter(): (name: string) => boolean {
  const exact = new Set<string>([INITRD_IGNITION_PATH]);
  for (const f of FAMILIES) {
    exact.add(f.liveInitramfsStamp);
    exact.add(f.initrdFeaturesPath);
  }
  const network = FAMILIES.map((f) => compileGlob(`${f.initrdNetworkDir}/*`));
  return (name) => exact.has(name) || network.some((g) => g.matches(name));
}

/**
 * Copy the whole input to `write` in 256 KiB blocks while scanning it
 * (context `reading/copying input initrd`).
 */
export async function scanLiveInitramfs(input: FileHandle, write: (chunk: Buffer) => Promise<void>): Promise<LiveInitramfsScan> {
  return withContext('reading/copying input initrd', async () => {
    const source = new ChunkSource(async () => {
      const buf = Buffer.allocUnsafe(BUFFER_SIZE);
      const { bytesRead } = await input.read(buf, 0, buf.length, null);
      if (bytesRead === 0) return undefined;
      const chunk = buf.subarray(0, bytesRead);
      await write(chunk);
      return chunk;
    });
    const members = new Initrd();
    await scanInitrd(source, scanFilter(), (entry) => members.set(entry.name, entry.data));
    return { family: familyOfInitrdMembers((p) => members.has(p)), members };
  });
}
