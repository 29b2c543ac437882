// Starting a codec worker (parallel-xz.ts's xz-worker, offthread.ts's
// stream-worker): its script is dist/<name>.mjs beside the bundle's chunks
// (scripts/build.mjs workerEntries()); the tests run the sources from src/ and
// use the built one in dist/. The standalone executable carries each as an
// asset and starts it from its code.
//
// A worker that is still starting must not be terminated: it loads its native
// codec then, and a thread ended inside a native addon's initialisation takes
// the whole process down (FATAL ERROR ... napi_throw; seen in about 2% of
// exits timed to land there). So the process is held up until each worker
// says it has started (worker-started.ts), whatever its owner does with
// ref()/unref() meanwhile; after that an idle worker may be ended with the
// process.
//
// Workers may also be started ahead (prestartWorkers): a command that knows
// its image will be decoded starts them while it opens and checks the image
// and the disk, and the decoder that asks for one gets it ready.

import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, type WorkerOptions } from 'node:worker_threads';
import { hasErrorCode } from '../../util/errors.js';
import { isStandalone, seaAsset } from '../../util/resources.js';
import type { StartedData } from './worker-started.js';

export type WorkerName = 'xz-worker' | 'stream-worker';

/** Worker threads a parallel decoder uses by default: one per core, the main thread aside. */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(availableParallelism(), 8));
}

export function workerScript(name: WorkerName): [string | URL, WorkerOptions] {
  if (isStandalone()) return [seaAsset(`workers/${name}.js`).toString('utf8'), { eval: true }];
  const candidates = [new URL(`./${name}.mjs`, import.meta.url), new URL(`../../../dist/${name}.mjs`, import.meta.url)];
  const found = candidates.find((url) => existsSync(fileURLToPath(url)));
  if (found === undefined) throw new Error(`worker script ${name}.mjs not found`);
  // A worker inherits Node's flags, but --input-type (a script run with -e) refuses a file.
  return [found, { execArgv: process.execArgv.filter((a) => !a.startsWith('--input-type')) }];
}

/**
 * Start the worker `name`, with Node's flags where a worker takes them; a
 * worker refuses V8 and process-wide ones (`node --max-old-space-size=512
 * nestos-installer …`), and then starts without any. The process stays up
 * until it has started (header comment).
 */
function launch(name: WorkerName, options: WorkerOptions): Worker {
  const [script, base] = workerScript(name);
  const { port1: held, port2: started } = new MessageChannel();
  const data: StartedData = { ...(options.workerData as object | undefined), started };
  const create = (execArgv: WorkerOptions['execArgv']): Worker =>
    new Worker(script, { ...base, ...options, ...(execArgv ? { execArgv } : {}), workerData: data, transferList: [started] });
  let worker: Worker;
  try {
    worker = create(undefined);
  } catch (err) {
    if (!hasErrorCode(err, 'ERR_WORKER_INVALID_EXEC_ARGV')) {
      held.close();
      throw err;
    }
    worker = create([]);
  }
  // A port with a listener keeps the process up; the worker's word, or its end, lets go.
  const release = (): void => held.close();
  held.once('message', release);
  worker.once('exit', release);
  return worker;
}

interface Prestarted {
  worker: Worker;
  /** The worker failed or ended before anyone took it. */
  failed: boolean;
}

/** Workers started ahead, by name and options, not yet taken. */
const prestarted = new Map<string, Prestarted[]>();

const keyOf = (name: WorkerName, options: WorkerOptions): string => `${name} ${JSON.stringify(options)}`;

/**
 * Have `count` workers `name` started ahead for startWorker() calls to come
 * with the same options, and return them. They keep the process up only
 * while starting.
 */
export function prestartWorkers(name: WorkerName, count: number, options: WorkerOptions = {}): Worker[] {
  const key = keyOf(name, options);
  const ready = prestarted.get(key) ?? [];
  prestarted.set(key, ready);
  while (ready.length < count) {
    let worker: Worker;
    try {
      worker = launch(name, options);
    } catch {
      break; // startWorker() will fail the same way, where its caller reports it
    }
    const entry: Prestarted = { worker, failed: false };
    worker.once('error', () => (entry.failed = true));
    worker.once('exit', () => (entry.failed = true));
    worker.unref();
    ready.push(entry);
  }
  return ready.map((entry) => entry.worker);
}

/** End the workers `name` started ahead and not taken (the decoder went another way). */
export function discardPrestarted(name: WorkerName): void {
  for (const [key, ready] of prestarted) {
    if (!key.startsWith(`${name} `)) continue;
    for (const { worker } of ready.splice(0)) worker.postMessage('close');
  }
}

/** The worker `name`: one started ahead with the same options if there is one, else a new one (launch()). */
export function startWorker(name: WorkerName, options: WorkerOptions = {}): Worker {
  const ready = prestarted.get(keyOf(name, options));
  for (let entry = ready?.shift(); entry !== undefined; entry = ready?.shift()) {
    if (!entry.failed) return entry.worker;
  }
  return launch(name, options);
}
