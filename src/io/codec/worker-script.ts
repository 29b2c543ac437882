// Starting a codec worker (parallel-xz.ts's xz-worker, offthread.ts's
// stream-worker): its script is dist/<name>.mjs beside the bundle's chunks
// (scripts/build.mjs workerEntries()); the tests run the sources from src/ and
// use the built one in dist/. The standalone executable carries each as an
// asset and starts it from its code.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { hasErrorCode } from '../../util/errors.js';
import { isStandalone, seaAsset } from '../../util/resources.js';

export type WorkerName = 'xz-worker' | 'stream-worker';

export function workerScript(name: WorkerName): [string | URL, WorkerOptions] {
  if (isStandalone()) return [seaAsset(`workers/${name}.js`).toString('utf8'), { eval: true }];
  const candidates = [new URL(`./${name}.mjs`, import.meta.url), new URL(`../../../dist/${name}.mjs`, import.meta.url)];
  const found = candidates.find((url) => existsSync(fileURLToPath(url)));
  if (found === undefined) throw new Error(`worker script ${name}.mjs not found`);
  // A worker inherits Node's flags, but --input-type (a script run with -e) refuses a file.
  return [found, { execArgv: process.execArgv.filter((a) => !a.startsWith('--input-type')) }];
}

/**
 * Start the worker `name`. It gets Node's flags where a worker takes them; a
 * worker refuses V8 and process-wide ones (`node --max-old-space-size=512
 * nestos-installer …`), and then starts without any.
 */
export function startWorker(name: WorkerName, options: WorkerOptions = {}): Worker {
  const [script, base] = workerScript(name);
  try {
    return new Worker(script, { ...base, ...options });
  } catch (err) {
    if (!hasErrorCode(err, 'ERR_WORKER_INVALID_EXEC_ARGV')) throw err;
    return new Worker(script, { ...base, ...options, execArgv: [] });
  }
}
