// Native addons inside the standalone executable. The executable carries the
// codecs' .node files as assets (scripts/build.mjs); the bundler points the
// codec packages' own loaders here. A .node file can only be loaded from a
// file, so each is written to a private directory (mode 0700), loaded with
// process.dlopen and removed at once: the loaded mapping outlives the file,
// so nothing is left behind, even when the process is killed.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { invokedFamily } from './family.js';
import { seaAsset } from './resources.js';

/** Where a private copy may go; /tmp may be mounted noexec, /dev/shm and /run then serve. */
function candidateDirs(): string[] {
  return [...new Set([tmpdir(), '/dev/shm', '/run', '/var/tmp'])];
}

/** Load the addon carried as asset `name` ("node-liblzma.node") and return its exports. */
export function loadEmbeddedAddon(name: string): unknown {
  const bytes = seaAsset(name);
  const failures: string[] = [];
  for (const base of candidateDirs()) {
    let dir: string;
    try {
      dir = mkdtempSync(join(base, invokedFamily().tempDirPrefix));
    } catch (err) {
      failures.push(`${base}: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    try {
      const file = join(dir, name);
      writeFileSync(file, bytes, { mode: 0o700 });
      const module = { exports: {} as unknown };
      process.dlopen(module, file);
      return module.exports;
    } catch (err) {
      failures.push(`${base}: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  throw new Error(`loading the embedded ${name}: ${failures.join('; ')}`);
}
