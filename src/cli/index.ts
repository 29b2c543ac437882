// The command registry: the whole tree, in help order (SPEC 1.1). Command
// modules are declarations only; implementations load when they run.

import { invokedFamily } from '../util/family.js';
import { group } from './spec.js';
import { download } from './download.js';
import { install } from './install.js';
import { listStream } from './list-stream.js';
import { iso } from './iso.js';
import { pxe } from './pxe.js';
import { pack } from './pack.js';
import { dev } from './dev.js';
import { completionCommand } from './completion.js';

const family = invokedFamily();

export const ROOT_COMMAND = group({
  name: family.programName,
  about: family.about,
  ...(family.longAbout !== undefined ? { longAbout: family.longAbout } : {}),
  subcommands: [install, download, listStream, iso, pxe, completionCommand(() => ROOT_COMMAND), pack, dev],
});
