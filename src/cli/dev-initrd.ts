// `dev show initrd` and `dev extract initrd` (SPEC 1.14, 5.6).

import { lazy, leaf } from './spec.js';
import type { DevShowInitrdConfig, DevExtractInitrdConfig } from '../commands/dev-initrd.js';

const inputPositional = { name: 'initrd', help: 'initrd image ("-" for stdin)', required: true };
const globPositional = { name: 'glob', help: 'Only members matching these globs', multiple: true };

export const devShowInitrd = leaf<DevShowInitrdConfig>({
  name: 'initrd',
  about: 'Show the contents of an initrd image',
  options: [],
  positionals: [inputPositional, globPositional],
  toConfig: (a) => ({ input: a.positional('initrd') ?? '-', filter: a.positionals('glob') }),
  load: lazy(() => import('../commands/dev-initrd.js'), 'devShowInitrd'),
});

export const devExtractInitrd = leaf<DevExtractInitrdConfig>({
  name: 'initrd',
  about: 'Extract the contents of an initrd image',
  options: [
    { long: 'directory', short: 'C', value: 'path', help: 'Extract to directory', default: '.' },
    { long: 'verbose', short: 'v', help: 'List extracted contents' },
  ],
  positionals: [inputPositional, globPositional],
  toConfig: (a) => ({
    directory: a.string('directory') ?? '.',
    verbose: a.flag('verbose'),
    input: a.positional('initrd') ?? '-',
    filter: a.positionals('glob'),
  }),
  load: lazy(() => import('../commands/dev-initrd.js'), 'devExtractInitrd'),
});
