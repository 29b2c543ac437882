// In a codec worker: the end of starting (see worker-script.ts). Until the
// worker says so, the main thread keeps the process up, so that the worker is
// never ended while it loads its native codec.

import { workerData, type MessagePort } from 'node:worker_threads';

/** workerData as worker-script.ts sends it: the owner's data and the port to answer on. */
export interface StartedData {
  started?: MessagePort;
}

/** Tell the main thread that starting is over (the codec loaded, or failed to). */
export function workerStarted(): void {
  const port = (workerData as StartedData | null)?.started;
  if (port === undefined) return;
  port.postMessage('started');
  port.close();
}
