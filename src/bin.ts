#!/usr/bin/env node
// The npm bin, dist/main.js: one CommonJS script (dist/package.json says so)
// that prints the version, and the top-level help as the program printed it
// at build time, before any ES module loads, and otherwise loads the program
// (main.ts, dist/main.mjs, with its chunks). Start-up on this machine
// kind: an ES module entry costs ~4 ms more than a CommonJS one, and each level
// of imported chunks ~4 ms more, against ~65 ms for `node -e 0` (README,
// "Builds"). The standalone executable runs main.ts directly.

import { EXIT_BROKEN_PIPE } from './util/constants.js';
import { type FamilyId, invokedFamily } from './util/family.js';
import { isVersionRequest, versionLine } from './util/version.js';

/** The program's `--help` under each name, printed by the program at build time (scripts/build.mjs topHelp()). */
declare const __NESTOS_TOP_HELP__: Record<FamilyId, string> | undefined;

/** What the program would print for `argv` that this script knows by itself. */
function answer(argv: readonly string[]): string | undefined {
  if (isVersionRequest(argv)) return versionLine();
  const help = argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h');
  if (help && typeof __NESTOS_TOP_HELP__ === 'object') return __NESTOS_TOP_HELP__[invokedFamily().id];
  return undefined;
}

const text = answer(process.argv.slice(2));
if (text !== undefined) {
  process.stdout.on('error', () => {
    process.exitCode = EXIT_BROKEN_PIPE;
  });
  process.stdout.write(text);
} else {
  // scripts/build.mjs points this at dist/main.mjs and leaves it unbundled.
  void import('./main.js');
}
