// The hidden `pack` tree (SPEC 1.13, build-time tools).

import { group, lazy, leaf } from './spec.js';
import type { PackMinimalIsoConfig } from '../commands/pack.js';
import type { PackOsmetConfig } from '../commands/osmet.js';
import { invokedFamily } from '../util/family.js';

const packOsmet = leaf<PackOsmetConfig>({
  name: 'osmet',
  shortUsage: true,
  about: `Create osmet file from ${invokedFamily().osName} block device`,
  options: [
    { long: 'output', value: 'FILE', help: 'Path to osmet file to write', required: true },
    { long: 'checksum', value: 'SHA256', help: 'Expected SHA256 of block device', required: true },
    { long: 'description', value: 'TEXT', help: 'OS description to use for the image', required: true },
    { long: 'fast', help: 'Fast mode (generates a bigger osmet file; for testing)' },
  ],
  positionals: [{ name: 'DEV', help: 'Source device', required: true }],
  toConfig: (a) => ({
    output: a.string('output') as string,
    checksum: a.string('checksum') as string,
    description: a.string('description') as string,
    fast: a.flag('fast'),
    device: a.positional('DEV') as string,
  }),
  load: lazy(() => import('../commands/osmet.js'), 'packOsmet'),
});

const packMinimalIso = leaf<PackMinimalIsoConfig>({
  name: 'minimal-iso',
  about: `Pack a minimal ISO into a ${invokedFamily().osName} live ISO image`,
  options: [{ long: 'consume', help: 'Delete minimal ISO after packing' }],
  positionals: [
    { name: 'FULL_ISO', help: 'ISO image', required: true },
    { name: 'MINIMAL_ISO', help: 'Minimal ISO image', required: true },
  ],
  toConfig: (a) => ({
    // Required positionals are checked by the parser before toConfig runs.
    full: a.positional('FULL_ISO') ?? '',
    minimal: a.positional('MINIMAL_ISO') ?? '',
    consume: a.flag('consume'),
  }),
  load: lazy(() => import('../commands/pack.js'), 'packMinimalIso'),
});

export const pack = group({
  name: 'pack',
  about: 'Commands to prepare images for distribution',
  hidden: true,
  subcommands: [packOsmet, packMinimalIso],
});
