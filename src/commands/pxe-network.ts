// `pxe network wrap | unwrap` (SPEC 5.3, 5.4).

import { Initrd, MAX_CONFIG_DECODED } from '../initrd/initrd.js';
import { readInitrdInput, writeBinaryOutput } from '../initrd/input.js';
import { addNetworkKeyfiles, anyNetworkFilter, writeNetworkSettings } from '../initrd/network.js';
import { invokedFamily } from '../util/family.js';
import { refuseTtyStdout, writeStdout } from '../util/stdio.js';

export interface PxeNetworkWrapConfig {
  keyfiles: string[];
  output?: string;
}

export interface PxeNetworkUnwrapConfig {
  directory?: string;
  input?: string;
}

export async function pxeNetworkWrap(config: PxeNetworkWrapConfig): Promise<void> {
  if (config.output === undefined) refuseTtyStdout();
  const initrd = new Initrd();
  await addNetworkKeyfiles(initrd, config.keyfiles, invokedFamily());
  await writeBinaryOutput(config.output, await initrd.toXz());
}

export async function pxeNetworkUnwrap(config: PxeNetworkUnwrapConfig): Promise<void> {
  const data = await readInitrdInput(config.input);
  // A wrapped network initrd carries no stamp: take the keyfiles of either family.
  const filter = anyNetworkFilter();
  const initrd = await Initrd.fromBuffer(data, filter, MAX_CONFIG_DECODED);
  await writeNetworkSettings(initrd, filter, config.directory, writeStdout);
}
