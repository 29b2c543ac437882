// `dev show fiemap` and `dev extract osmet` (SPEC 1.14; OSMET.md).

import type { DevExtractOsmetConfig, DevShowFiemapConfig } from '../commands/osmet.js';
import { lazy, leaf } from './spec.js';

export const devShowFiemap = leaf<DevShowFiemapConfig>({
  name: 'fiemap',
  about: 'Print file extent mapping of specific file',
  options: [],
  positionals: [{ name: 'PATH', help: 'File to map', required: true }],
  toConfig: (a) => ({ file: a.positional('PATH') as string }),
  load: lazy(() => import('../commands/osmet.js'), 'devShowFiemap'),
});

export const devExtractOsmet = leaf<DevExtractOsmetConfig>({
  name: 'osmet',
  about: 'Generate raw metal image from osmet file and OSTree repo',
  options: [{ long: 'osmet', value: 'PATH', help: 'osmet file', required: true }],
  positionals: [
    { name: 'REPO', help: 'OSTree repo', required: true },
    { name: 'DEV', help: 'Destination device', required: true },
  ],
  toConfig: (a) => ({ osmet: a.string('osmet') as string, repo: a.positional('REPO') as string, device: a.positional('DEV') as string }),
  load: lazy(() => import('../commands/osmet.js'), 'devExtractOsmet'),
});
