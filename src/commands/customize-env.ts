// What `iso customize` and `pxe customize` hand the live-initrd generator
// besides the medium's family and features: the install-config check (given
// by the CLI layer, which owns the install option table) and nmstate.

import type { GeneratorEnv, InstallerConfigCheck } from '../customize/live-initrd.js';
import { nmstateKeyfiles } from '../customize/nmstate.js';
import type { OsFeatures } from '../live/features.js';
import type { OsFamily } from '../util/family.js';
import { info } from '../util/log.js';

export function generatorEnv(family: OsFamily, features: OsFeatures, checkInstallerConfig: InstallerConfigCheck): GeneratorEnv {
  return { family, features, checkInstallerConfig, nmstateKeyfiles, say: info };
}
