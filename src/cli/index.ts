// The command registry: the whole tree, in help order (SPEC 1.1). Command
// modules are declarations only; implementations load when they run.

import { PROGRAM_NAME } from '../util/constants.js';
import { group } from './spec.js';
import { download } from './download.js';
import { install } from './install.js';
import { listStream } from './list-stream.js';
import { iso } from './iso.js';
import { pxe } from './pxe.js';
import { dev } from './dev.js';

export const ROOT_COMMAND = group({
  name: PROGRAM_NAME,
  about: 'Installer for NestOS',
  subcommands: [install, download, listStream, iso, pxe, dev],
});
