// The hidden `dev` tree (SPEC 1.14): development commands. Leaves come from
// several files (dev-iso.ts, ...); add yours to the `show`/`extract` groups.

import { group } from './spec.js';
import { devShowIso } from './dev-iso.js';
import { devExtractInitrd, devShowInitrd } from './dev-initrd.js';
import { devExtractOsmet, devShowFiemap } from './dev-osmet.js';

const devShow = group({
  name: 'show',
  about: 'Print information about an image',
  subcommands: [devShowIso, devShowInitrd, devShowFiemap],
});

const devExtract = group({
  name: 'extract',
  about: 'Extract data from an image',
  subcommands: [devExtractOsmet, devExtractInitrd],
});

export const dev = group({
  name: 'dev',
  about: 'Development commands (unstable)',
  hidden: true,
  subcommands: [devShow, devExtract],
});
