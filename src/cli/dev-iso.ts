// `dev show iso [--ignition | --kargs] <ISO>` (SPEC 1.14, 4.15).

import { lazy, leaf } from './spec.js';
import type { DevShowIsoConfig } from '../commands/dev-iso.js';
import { invokedFamily } from '../util/family.js';

export const devShowIso = leaf<DevShowIsoConfig>({
  name: 'iso',
  about: `Inspect the ${invokedFamily().osName} live ISO image`,
  options: [
    { long: 'ignition', help: 'Show Ignition embed area parameters', conflicts: ['kargs'] },
    { long: 'kargs', help: 'Show kargs embed area parameters', conflicts: ['ignition'] },
  ],
  positionals: [{ name: 'ISO', help: 'ISO image', required: true }],
  toConfig: (a) => ({ ignition: a.flag('ignition'), kargs: a.flag('kargs'), input: a.positional('ISO') ?? '' }),
  load: lazy(() => import('../commands/dev-iso.js'), 'devShowIso'),
});
