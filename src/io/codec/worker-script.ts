// Where a codec worker's script is (parallel-xz.ts's xz-worker, offthread.ts's
// stream-worker): dist/<name>.js beside the bundle's chunks (scripts/build.mjs
// workerEntries()); the tests run the sources from src/ and use the built one
// in dist/. The standalone executable carries each as an asset and starts it
// from its code.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { WorkerOptions } from 'node:worker_threads';
import { isStandalone, seaAsset } from '../../util/resources.js';

export function workerScript(name: 'xz-worker' | 'stream-worker'): [string | URL, WorkerOptions] {
  if (isStandalone()) return [seaAsset(`workers/${name}.js`).toString('utf8'), { eval: true }];
  const candidates = [new URL(`./${name}.js`, import.meta.url), new URL(`../../../dist/${name}.js`, import.meta.url)];
  const found = candidates.find((url) => existsSync(fileURLToPath(url)));
  if (found === undefined) throw new Error(`worker script ${name}.js not found`);
  // A worker inherits Node's flags, but --input-type (a script run with -e) refuses a file.
  return [found, { execArgv: process.execArgv.filter((a) => !a.startsWith('--input-type')) }];
}
