// `pxe` (SPEC 1.12): wrap and unwrap Ignition configs and network settings
// in initrd images appended to a live PXE initramfs.

import { group, lazy, leaf } from './spec.js';
import { outputOption } from './options.js';
import type { PxeIgnitionWrapConfig, PxeIgnitionUnwrapConfig } from '../commands/pxe-ignition.js';
import type { PxeNetworkWrapConfig, PxeNetworkUnwrapConfig } from '../commands/pxe-network.js';
import { invokedFamily } from '../util/family.js';
import { pxeCustomize } from './customize.js';

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Partial<Record<K, string>>);
}

const wrapOutput = outputOption('Write to a file instead of stdout');

export const pxeIgnitionWrap = leaf<PxeIgnitionWrapConfig>({
  name: 'wrap',
  about: 'Wrap an Ignition config in an initrd image',
  longAbout:
    'The config must be JSON with a known ignition.version (3.0.0 to 3.6.0); an empty ' +
    'input is allowed. The image is a newc cpio archive compressed with xz (CRC32 check), ' +
    'to append to a live PXE initramfs.',
  options: [{ long: 'ignition-file', short: 'i', value: 'path', help: 'Ignition config to wrap [default: stdin]' }, wrapOutput],
  positionals: [],
  toConfig: (a) => ({
    ...optional('ignitionFile', a.string('ignition-file')),
    ...optional('output', a.string('output')),
  }),
  load: lazy(() => import('../commands/pxe-ignition.js'), 'pxeIgnitionWrap'),
});

export const pxeIgnitionUnwrap = leaf<PxeIgnitionUnwrapConfig>({
  name: 'unwrap',
  about: 'Show the wrapped Ignition config in an initrd image',
  options: [],
  positionals: [{ name: 'initrd', help: 'initrd image [default: stdin]' }],
  toConfig: (a) => optional('input', a.positional('initrd')),
  load: lazy(() => import('../commands/pxe-ignition.js'), 'pxeIgnitionUnwrap'),
});

export const pxeNetworkWrap = leaf<PxeNetworkWrapConfig>({
  name: 'wrap',
  about: 'Wrap network settings in an initrd image',
  options: [
    {
      long: 'keyfile',
      short: 'k',
      value: 'path',
      help: 'NetworkManager keyfile to embed',
      multiple: true,
      required: true,
    },
    wrapOutput,
  ],
  positionals: [],
  toConfig: (a) => ({ keyfiles: a.strings('keyfile'), ...optional('output', a.string('output')) }),
  load: lazy(() => import('../commands/pxe-network.js'), 'pxeNetworkWrap'),
});

export const pxeNetworkUnwrap = leaf<PxeNetworkUnwrapConfig>({
  name: 'unwrap',
  about: 'Extract wrapped network settings from an initrd image',
  options: [{ long: 'directory', short: 'C', value: 'path', help: 'Extract to directory instead of stdout' }],
  positionals: [{ name: 'initrd', help: 'initrd image [default: stdin]' }],
  toConfig: (a) => ({
    ...optional('directory', a.string('directory')),
    ...optional('input', a.positional('initrd')),
  }),
  load: lazy(() => import('../commands/pxe-network.js'), 'pxeNetworkUnwrap'),
});

export const pxeIgnition = group({
  name: 'ignition',
  about: 'Commands to manage a live PXE Ignition config',
  subcommands: [pxeIgnitionWrap, pxeIgnitionUnwrap],
});

export const pxeNetwork = group({
  name: 'network',
  about: 'Commands to manage live PXE network settings',
  subcommands: [pxeNetworkWrap, pxeNetworkUnwrap],
});

export const pxe = group({
  name: 'pxe',
  about: `Commands to manage a ${invokedFamily().osName} live PXE image`,
  subcommands: [pxeCustomize, pxeIgnition, pxeNetwork],
});
