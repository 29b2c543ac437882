// The `iso` tree (SPEC 1.7-1.11): ignition, network, kargs, extract pxe, reset and the
// hidden deprecated embed/show/remove aliases.

import { group, lazy, leaf, type PositionalSpec } from './spec.js';
import { forceOption, outputOption } from './options.js';
import type { IsoIgnitionEmbedConfig, IsoIgnitionShowConfig } from '../commands/iso-ignition.js';
import type { IsoOutputConfig } from '../commands/iso-edit.js';
import type { IsoNetworkEmbedConfig, IsoNetworkExtractConfig } from '../commands/iso-network.js';
import type { IsoKargsModifyConfig, IsoKargsShowConfig } from '../commands/iso-kargs.js';
import type { IsoExtractMinimalIsoConfig, IsoExtractPxeConfig } from '../commands/iso-extract.js';
import { invokedFamily } from '../util/family.js';
import { isoCustomize } from './customize.js';

const ISO_POSITIONAL: PositionalSpec = { name: 'ISO', help: 'ISO image', required: true };

function isoPath(a: { positional(name: string): string | undefined }): string {
  // Required positionals are checked by the parser before toConfig runs.
  return a.positional('ISO') ?? '';
}

function withOutput<C extends object>(config: C, output: string | undefined): C & { output?: string } {
  return output === undefined ? config : { ...config, output };
}

const ignitionEmbed = leaf<IsoIgnitionEmbedConfig>({
  name: 'embed',
  about: 'Embed an Ignition config in an ISO image',
  options: [
    forceOption('Overwrite an existing Ignition config'),
    { long: 'ignition-file', short: 'i', value: 'path', help: 'Ignition config to embed [default: stdin]' },
    outputOption(),
  ],
  positionals: [ISO_POSITIONAL],
  toConfig: (a) => {
    const config: IsoIgnitionEmbedConfig = withOutput({ force: a.flag('force'), input: isoPath(a) }, a.string('output'));
    const file = a.string('ignition-file');
    if (file !== undefined) config.ignitionFile = file;
    return config;
  },
  load: lazy(() => import('../commands/iso-ignition.js'), 'isoIgnitionEmbed'),
});

const ignitionShow = leaf<IsoIgnitionShowConfig>({
  name: 'show',
  about: 'Show the embedded Ignition config from an ISO image',
  options: [],
  positionals: [ISO_POSITIONAL],
  toConfig: (a) => ({ input: isoPath(a) }),
  load: lazy(() => import('../commands/iso-ignition.js'), 'isoIgnitionShow'),
});

const ignitionRemove = leaf<IsoOutputConfig>({
  name: 'remove',
  about: 'Remove an existing embedded Ignition config from an ISO image',
  options: [outputOption()],
  positionals: [ISO_POSITIONAL],
  toConfig: (a) => withOutput({ input: isoPath(a) }, a.string('output')),
  load: lazy(() => import('../commands/iso-ignition.js'), 'isoIgnitionRemove'),
});

const isoIgnition = group({
  name: 'ignition',
  about: 'Commands to manage a live ISO Ignition config',
  subcommands: [ignitionEmbed, ignitionShow, ignitionRemove],
});

const networkEmbed = leaf<IsoNetworkEmbedConfig>({
  name: 'embed',
  about: 'Embed network settings in an ISO image',
  options: [
    { long: 'keyfile', short: 'k', value: 'path', help: 'NetworkManager keyfile to embed', multiple: true, required: true },
    forceOption('Overwrite existing network settings'),
    outputOption(),
  ],
  positionals: [ISO_POSITIONAL],
  toConfig: (a) => withOutput({ keyfiles: a.strings('keyfile'), force: a.flag('force'), input: isoPath(a) }, a.string('output')),
  load: lazy(() => import('../commands/iso-network.js'), 'isoNetworkEmbed'),
});

const networkExtract = leaf<IsoNetworkExtractConfig>({
  name: 'extract',
  about: 'Extract embedded network settings from an ISO image',
  options: [{ long: 'directory', short: 'C', value: 'path', help: 'Extract to directory instead of stdout' }],
  positionals: [ISO_POSITIONAL],
  toConfig: (a) => {
    const config: IsoNetworkExtractConfig = { input: isoPath(a) };
    const dir = a.string('directory');
    if (dir !== undefined) config.directory = dir;
    return config;
  },
  load: lazy(() => import('../commands/iso-network.js'), 'isoNetworkExtract'),
});

const networkRemove = leaf<IsoOutputConfig>({
  name: 'remove',
  about: 'Remove existing network settings from an ISO image',
  options: [outputOption()],
  positionals: [ISO_POSITIONAL],
  toConfig: (a) => withOutput({ input: isoPath(a) }, a.string('output')),
  load: lazy(() => import('../commands/iso-network.js'), 'isoNetworkRemove'),
});

const isoNetwork = group({
  name: 'network',
  about: 'Commands to manage live ISO network settings',
  subcommands: [networkEmbed, networkExtract, networkRemove],
});

const kargsModify = leaf<IsoKargsModifyConfig>({
  name: 'modify',
  about: 'Modify kernel args in an ISO image',
  options: [
    { long: 'append', short: 'a', value: 'KARG', help: 'Kernel argument to append', multiple: true },
    { long: 'delete', short: 'd', value: 'KARG', help: 'Kernel argument to delete', multiple: true },
    { long: 'replace', short: 'r', value: 'KARG=OLDVAL=NEWVAL', help: 'Kernel argument to replace', multiple: true },
    { long: 'output', short: 'o', value: 'PATH', help: 'Write ISO to a new output file' },
  ],
  positionals: [ISO_POSITIONAL],
  toConfig: (a) =>
    withOutput(
      { append: a.strings('append'), delete: a.strings('delete'), replace: a.strings('replace'), input: isoPath(a) },
      a.string('output'),
    ),
  load: lazy(() => import('../commands/iso-kargs.js'), 'isoKargsModify'),
});

const kargsReset = leaf<IsoOutputConfig>({
  name: 'reset',
  about: 'Reset kernel args in an ISO image to defaults',
  options: [{ long: 'output', short: 'o', value: 'PATH', help: 'Write ISO to a new output file' }],
  positionals: [ISO_POSITIONAL],
  toConfig: (a) => withOutput({ input: isoPath(a) }, a.string('output')),
  load: lazy(() => import('../commands/iso-kargs.js'), 'isoKargsReset'),
});

const kargsShow = leaf<IsoKargsShowConfig>({
  name: 'show',
  about: 'Show kernel args from an ISO image',
  options: [{ long: 'default', short: 'd', help: 'Show default kernel args' }],
  positionals: [ISO_POSITIONAL],
  toConfig: (a) => ({ default: a.flag('default'), input: isoPath(a) }),
  load: lazy(() => import('../commands/iso-kargs.js'), 'isoKargsShow'),
});

const isoKargs = group({
  name: 'kargs',
  about: 'Commands to manage live ISO kernel arguments',
  subcommands: [kargsModify, kargsReset, kargsShow],
});

const extractPxe = leaf<IsoExtractPxeConfig>({
  name: 'pxe',
  about: 'Extract PXE files from an ISO image',
  options: [{ long: 'output-dir', short: 'o', value: 'PATH', help: 'Output directory', default: '.' }],
  positionals: [ISO_POSITIONAL],
  toConfig: (a) => ({ outputDir: a.string('output-dir') ?? '.', input: isoPath(a) }),
  load: lazy(() => import('../commands/iso-extract.js'), 'isoExtractPxe'),
});

const extractMinimalIso = leaf<IsoExtractMinimalIsoConfig>({
  name: 'minimal-iso',
  about: `Extract a minimal ISO from a ${invokedFamily().osName} live ISO image`,
  options: [
    { long: 'output-rootfs', value: 'PATH', help: 'Extract rootfs image as well' },
    { long: 'rootfs-url', value: 'URL', help: 'Inject rootfs URL karg into minimal ISO' },
  ],
  positionals: [ISO_POSITIONAL, { name: 'OUTPUT_ISO', help: 'Minimal ISO output file', default: '-' }],
  toConfig: (a) => {
    const config: IsoExtractMinimalIsoConfig = { input: isoPath(a), output: a.positional('OUTPUT_ISO') ?? '-' };
    const rootfs = a.string('output-rootfs');
    const url = a.string('rootfs-url');
    if (rootfs !== undefined) config.outputRootfs = rootfs;
    if (url !== undefined) config.rootfsUrl = url;
    return config;
  },
  load: lazy(() => import('../commands/iso-extract.js'), 'isoExtractMinimalIso'),
});

const isoExtract = group({
  name: 'extract',
  about: 'Commands to extract files from a live ISO image',
  subcommands: [extractPxe, extractMinimalIso],
});

const isoReset = leaf<IsoOutputConfig>({
  name: 'reset',
  about: `Restore a ${invokedFamily().osName} live ISO image to default settings`,
  options: [outputOption()],
  positionals: [ISO_POSITIONAL],
  toConfig: (a) => withOutput({ input: isoPath(a) }, a.string('output')),
  load: lazy(() => import('../commands/iso-reset.js'), 'isoReset'),
});

const deprecatedEmbed = leaf<IsoIgnitionEmbedConfig>({
  name: 'embed',
  about: 'Embed an Ignition config in an ISO image',
  hidden: true,
  options: [
    { long: 'config', short: 'c', value: 'path', help: 'Ignition config to embed [default: stdin]' },
    forceOption('Overwrite an existing Ignition config'),
    outputOption(),
  ],
  positionals: [ISO_POSITIONAL],
  toConfig: (a) => {
    const config: IsoIgnitionEmbedConfig = withOutput({ force: a.flag('force'), input: isoPath(a) }, a.string('output'));
    const file = a.string('config');
    if (file !== undefined) config.ignitionFile = file;
    return config;
  },
  load: lazy(() => import('../commands/iso-ignition.js'), 'isoEmbedDeprecated'),
});

const deprecatedShow = leaf<IsoIgnitionShowConfig>({
  name: 'show',
  about: 'Show the embedded Ignition config from an ISO image',
  hidden: true,
  options: [],
  positionals: [ISO_POSITIONAL],
  toConfig: (a) => ({ input: isoPath(a) }),
  load: lazy(() => import('../commands/iso-ignition.js'), 'isoShowDeprecated'),
});

const deprecatedRemove = leaf<IsoOutputConfig>({
  name: 'remove',
  about: 'Remove an existing embedded Ignition config from an ISO image',
  hidden: true,
  options: [outputOption()],
  positionals: [ISO_POSITIONAL],
  toConfig: (a) => withOutput({ input: isoPath(a) }, a.string('output')),
  load: lazy(() => import('../commands/iso-ignition.js'), 'isoRemoveDeprecated'),
});

export const iso = group({
  name: 'iso',
  about: `Commands to manage a ${invokedFamily().osName} live ISO image`,
  subcommands: [isoCustomize, isoIgnition, isoNetwork, isoKargs, isoExtract, isoReset, deprecatedEmbed, deprecatedShow, deprecatedRemove],
});
