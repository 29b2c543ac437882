// The hidden `pack` tree (SPEC 1.13, build-time tools).

import { group, lazy, leaf } from './spec.js';
import type { PackMinimalIsoConfig } from '../commands/pack.js';

const packMinimalIso = leaf<PackMinimalIsoConfig>({
  name: 'minimal-iso',
  about: 'Pack a minimal ISO into a NestOS live ISO image',
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
  subcommands: [packMinimalIso],
});
