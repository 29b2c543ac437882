// What `iso customize` and `pxe customize` hand the live-initrd generator
// besides the medium's family and features: the install-config check (the
// install option table lives in the CLI layer) and nmstate.

import { INSTALL_OPTIONS } from '../cli/install.js';
import type { GeneratorEnv } from '../customize/live-initrd.js';
import { nmstateKeyfiles } from '../customize/nmstate.js';
import { valuesFromYaml } from '../install/config-file.js';
import type { OsFeatures } from '../live/features.js';
import { CliError } from '../util/errors.js';
import type { OsFamily } from '../util/family.js';
import { info } from '../util/log.js';

/**
 * An `--installer-config` file must be an install config: YAML, Appendix B
 * keys only, values of the right type that the install options accept.
 */
export async function checkInstallerConfig(data: Buffer): Promise<{ destDevice?: string }> {
  const { parse } = await import('yaml');
  const values = valuesFromYaml(parse(data.toString('utf8'), { schema: 'failsafe' }) as unknown, INSTALL_OPTIONS);
  for (const option of INSTALL_OPTIONS) {
    const value = values[option.long];
    const check = option.parse;
    if (check === undefined || value === undefined || typeof value === 'boolean') continue;
    for (const item of Array.isArray(value) ? value : [value]) {
      try {
        check(item);
      } catch (err) {
        throw new CliError(`${option.long}: invalid value '${item}': ${(err as Error).message}`);
      }
    }
  }
  const device = values['dest-device'];
  return typeof device === 'string' ? { destDevice: device } : {};
}

export function generatorEnv(family: OsFamily, features: OsFeatures): GeneratorEnv {
  return { family, features, checkInstallerConfig, nmstateKeyfiles, say: info };
}
