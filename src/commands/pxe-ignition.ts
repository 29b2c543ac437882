// `pxe ignition wrap | unwrap` (SPEC 5.1, 5.2).

import { validateIgnition } from '../ignition/validate.js';
import { Initrd, MAX_CONFIG_DECODED } from '../initrd/initrd.js';
import { readInitrdInput, writeBinaryOutput } from '../initrd/input.js';
import { INITRD_IGNITION_PATH } from '../util/constants.js';
import { CliError } from '../util/errors.js';
import { compileGlob } from '../util/glob.js';
import { readInput, refuseTtyStdout, writeStdout } from '../util/stdio.js';

export interface PxeIgnitionWrapConfig {
  ignitionFile?: string;
  output?: string;
}

export interface PxeIgnitionUnwrapConfig {
  input?: string;
}

export async function pxeIgnitionWrap(config: PxeIgnitionWrapConfig): Promise<void> {
  if (config.output === undefined) refuseTtyStdout();
  const ignition = await readInput(config.ignitionFile);
  validateIgnition(ignition, config.ignitionFile ?? 'stdin');
  const initrd = new Initrd(new Map([[INITRD_IGNITION_PATH, ignition]]));
  await writeBinaryOutput(config.output, await initrd.toXz());
}

export async function pxeIgnitionUnwrap(config: PxeIgnitionUnwrapConfig): Promise<void> {
  const data = await readInitrdInput(config.input);
  const initrd = await Initrd.fromBuffer(data, compileGlob(INITRD_IGNITION_PATH), MAX_CONFIG_DECODED);
  const ignition = initrd.get(INITRD_IGNITION_PATH);
  if (ignition === undefined) throw new CliError("couldn't find Ignition config in archive");
  await writeStdout(ignition);
}
