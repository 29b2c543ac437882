// Reading a live PXE initramfs for `pxe customize` (SPEC 5.5 step 3): every
// input byte is passed on unchanged, in order, while the members that
// matter are picked out: both families' stamps and features, config.ign and
// the network keyfiles. The members decide the family.

import type { FileHandle } from 'node:fs/promises';
import { BUFFER_SIZE, INITRD_IGNITION_PATH } from '../util/constants.js';
import { withContext } from '../util/errors.js';
import { FAMILIES, familyOfInitrdMembers, type OsFamily } from '../util/family.js';
import type { GlobPattern } from '../util/glob.js';
import { compileGlob } from '../util/glob.js';
import { Initrd } from './initrd.js';

export interface LiveInitramfsScan {
  /** The family whose stamp or features the input carries; undefined = not a live initramfs. */
  family: OsFamily | undefined;
  /** The picked members (stamps, features, config.ign, keyfiles). */
  members: Initrd;
}

/** Names kept while scanning: what step 3 lists, for both families. */
function scanFilter(): GlobPattern {
  const exact = new Set<string>([INITRD_IGNITION_PATH]);
  for (const f of FAMILIES) {
    exact.add(f.liveInitramfsStamp);
    exact.add(f.initrdFeaturesPath);
  }
  const network = FAMILIES.map((f) => compileGlob(`${f.initrdNetworkDir}/*`));
  return { source: 'live-initramfs', matches: (name) => exact.has(name) || network.some((g) => g.matches(name)) };
}

/**
 * Copy the whole input to `write` in 256 KiB blocks and scan it (context
 * `reading/copying input initrd`). The archives are decoded once the copy
 * is complete (SPEC 10.5 allows holding an initrd in memory).
 */
export async function scanLiveInitramfs(
  input: FileHandle,
  write: (chunk: Buffer) => Promise<void>,
): Promise<LiveInitramfsScan> {
  return withContext('reading/copying input initrd', async () => {
    const chunks: Buffer[] = [];
    for (let position = 0; ; ) {
      const buf = Buffer.allocUnsafe(BUFFER_SIZE);
      const { bytesRead } = await input.read(buf, 0, buf.length, position);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      await write(chunk);
      chunks.push(chunk);
      position += bytesRead;
    }
    const members = await Initrd.fromBuffer(Buffer.concat(chunks), scanFilter());
    return { family: familyOfInitrdMembers((p) => members.has(p)), members };
  });
}
