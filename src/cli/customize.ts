// `iso customize` and `pxe customize` (SPEC 1.5, 1.6, 1.12): the shared
// customization options, then each command's own.

import { lazy, leaf, type OptionSpec, type ParsedArgs } from './spec.js';
import { forceOption, outputOption } from './options.js';
import { valuesFromYaml } from './config-file.js';
import { INSTALL_OPTIONS } from './install.js';
import { parseConsole, type Console } from '../install/console.js';
import type { CustomizeOptions } from '../customize/live-initrd.js';
import type { IsoCustomizeConfig } from '../commands/iso-customize.js';
import type { PxeCustomizeConfig } from '../commands/pxe-customize.js';
import { CliError } from '../util/errors.js';

const DEST = 'Destination system';
const BOTH = 'Destination and live systems';
const INSTALL = 'Installation';
const LIVE = 'Live system';

/** SPEC 1.5: every option repeatable except --dest-device. */
export const SHARED_CUSTOMIZE_OPTIONS: OptionSpec[] = [
  { long: 'dest-ignition', value: 'path', help: 'Ignition config fragment for dest sys', multiple: true, heading: DEST },
  { long: 'dest-device', value: 'path', help: 'Install destination device', heading: DEST },
  {
    long: 'dest-console',
    value: 'spec',
    help: 'Kernel and bootloader console for dest',
    multiple: true,
    parse: parseConsole,
    heading: DEST,
  },
  { long: 'dest-karg-append', value: 'arg', help: 'Destination kernel argument to append', multiple: true, heading: DEST },
  { long: 'dest-karg-delete', value: 'arg', help: 'Destination kernel argument to delete', multiple: true, heading: DEST },
  { long: 'network-keyfile', value: 'path', help: 'NetworkManager keyfile for live & dest', multiple: true, heading: BOTH },
  { long: 'network-nmstate', value: 'path', help: 'Nmstate file for live & dest', multiple: true, heading: BOTH },
  { long: 'ignition-ca', value: 'path', help: 'Ignition PEM CA bundle for live & dest', multiple: true, heading: BOTH },
  { long: 'pre-install', value: 'path', help: 'Script to run before installation', multiple: true, heading: INSTALL },
  { long: 'post-install', value: 'path', help: 'Script to run after installation', multiple: true, heading: INSTALL },
  { long: 'installer-config', value: 'path', help: 'Installer config file', multiple: true, heading: INSTALL },
  { long: 'live-ignition', value: 'path', help: 'Ignition config fragment for live env', multiple: true, heading: LIVE },
];

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

function sharedOptions(a: ParsedArgs): CustomizeOptions {
  const options: CustomizeOptions = {
    destIgnition: a.strings('dest-ignition'),
    destConsole: a.parsedAll<Console>('dest-console'),
    destKargAppend: a.strings('dest-karg-append'),
    destKargDelete: a.strings('dest-karg-delete'),
    networkKeyfile: a.strings('network-keyfile'),
    networkNmstate: a.strings('network-nmstate'),
    ignitionCa: a.strings('ignition-ca'),
    preInstall: a.strings('pre-install'),
    postInstall: a.strings('post-install'),
    installerConfig: a.strings('installer-config'),
    liveIgnition: a.strings('live-ignition'),
  };
  const device = a.string('dest-device');
  if (device !== undefined) options.destDevice = device;
  return options;
}

export const isoCustomize = leaf<IsoCustomizeConfig>({
  name: 'customize',
  about: 'Customize a NestOS live ISO image',
  longAbout:
    'Destination options make the live system install itself at boot; they need ' +
    '--dest-device. The result is the same in place, with -o FILE and with -o -; ' +
    '`iso reset` undoes it.',
  options: [
    forceOption('Overwrite existing customizations'),
    outputOption(),
    ...SHARED_CUSTOMIZE_OPTIONS,
    { long: 'live-karg-append', value: 'arg', help: 'Live kernel argument to append', multiple: true, heading: LIVE },
    { long: 'live-karg-delete', value: 'arg', help: 'Live kernel argument to delete', multiple: true, heading: LIVE },
    { long: 'live-karg-replace', value: 'k=o=n', help: 'Live kernel argument to replace', multiple: true, heading: LIVE },
  ],
  positionals: [{ name: 'ISO', help: 'ISO image', required: true }],
  toConfig: (a) => {
    const config: IsoCustomizeConfig = {
      customize: sharedOptions(a),
      checkInstallerConfig,
      liveKargAppend: a.strings('live-karg-append'),
      liveKargDelete: a.strings('live-karg-delete'),
      liveKargReplace: a.strings('live-karg-replace'),
      force: a.flag('force'),
      input: a.positional('ISO') ?? '',
    };
    const output = a.string('output');
    if (output !== undefined) config.output = output;
    return config;
  },
  load: lazy(() => import('../commands/iso-customize.js'), 'isoCustomize'),
});

export const pxeCustomize = leaf<PxeCustomizeConfig>({
  name: 'customize',
  about: 'Create a custom live PXE boot config',
  longAbout:
    'Copies the live initramfs unchanged and appends an archive with the customizations. ' +
    'Destination options make the live system install itself at boot; they need --dest-device.',
  options: [{ long: 'output', short: 'o', value: 'path', help: 'Output file (- for stdout)', required: true }, ...SHARED_CUSTOMIZE_OPTIONS],
  positionals: [{ name: 'path', help: 'Live initramfs image', required: true }],
  toConfig: (a) => ({
    customize: sharedOptions(a),
    checkInstallerConfig,
    output: a.string('output') ?? '',
    input: a.positional('path') ?? '',
  }),
  load: lazy(() => import('../commands/pxe-customize.js'), 'pxeCustomize'),
});
