// The version printed by --version and sent in the User-Agent: package.json's,
// baked into the bundle at build time, read from package.json when the
// sources run directly.

import { bakedPackageVersion, readResource } from './resources.js';

let cached: string | undefined;

export function packageVersion(): string {
  if (cached === undefined) {
    cached = bakedPackageVersion() ?? (JSON.parse(readResource('package.json').toString('utf8')) as { version: string }).version;
  }
  return cached;
}
