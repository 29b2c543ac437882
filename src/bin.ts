#!/usr/bin/env node
// The npm bin, dist/main.js: one CommonJS script (dist/package.json says so)
// that prints the version before any ES module loads, and otherwise loads the
// program (main.ts, dist/main.mjs, with its chunks). Start-up on this machine
// kind: an ES module entry costs ~4 ms more than a CommonJS one, and each level
// of imported chunks ~4 ms more, against ~65 ms for `node -e 0` (README,
// "Builds"). The standalone executable runs main.ts directly.

import { EXIT_BROKEN_PIPE } from './util/constants.js';
import { isVersionRequest, versionLine } from './util/version.js';

if (isVersionRequest(process.argv.slice(2))) {
  process.stdout.on('error', () => {
    process.exitCode = EXIT_BROKEN_PIPE;
  });
  process.stdout.write(versionLine());
} else {
  // scripts/build.mjs points this at dist/main.mjs and leaves it unbundled.
  void import('./main.js');
}
