// The version printed by --version and sent in the User-Agent: package.json's,
// baked into the bundle at build time, read from package.json when the
// sources run directly.

import { invokedFamily } from './family.js';
import { bakedPackageVersion, readResource } from './resources.js';

let cached: string | undefined;

export function packageVersion(): string {
  if (cached === undefined) {
    cached = bakedPackageVersion() ?? (JSON.parse(readResource('package.json').toString('utf8')) as { version: string }).version;
  }
  return cached;
}

/** `--version` (or `-V`) alone: answered without the parser (src/bin.ts: before any ES module loads). */
export function isVersionRequest(argv: readonly string[]): boolean {
  return argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V');
}

/** What `--version` prints: `nestos-installer 0.1.0` (or `coreos-installer …` under that name). */
export function versionLine(version = packageVersion()): string {
  return `${invokedFamily().programName} ${version}\n`;
}
