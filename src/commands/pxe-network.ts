// `pxe network wrap | unwrap` (SPEC 5.3, 5.4).

import { Initrd } from '../initrd/initrd.js';
import { readInitrdInput, writeBinaryOutput } from '../initrd/input.js';
import { addNetworkKeyfiles, networkFilter, writeNetworkSettings } from '../initrd/network.js';
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
  await addNetworkKeyfiles(initrd, config.keyfiles);
  await writeBinaryOutput(config.output, await initrd.toXz());
}

export async function pxeNetworkUnwrap(config: PxeNetworkUnwrapConfig): Promise<void> {
  const data = await readInitrdInput(config.input);
  const initrd = await Initrd.fromBuffer(data, networkFilter());
  await writeNetworkSettings(initrd, config.directory, writeStdout);
}
