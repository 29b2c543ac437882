// Ctrl-C: long operations (install, download) clean up before exiting 130;
// anything else exits at once, as without a handler.

import { InterruptedError } from './errors.js';
import { EXIT_INTERRUPTED } from './constants.js';

const controller = new AbortController();
let watched = false;

/** The signal a cleanup-aware operation passes to its pipeline. */
export function interruptSignal(): AbortSignal {
  watched = true;
  return controller.signal;
}

/** Throw InterruptedError if Ctrl-C was pressed. */
export function throwIfInterrupted(): void {
  if (controller.signal.aborted) throw new InterruptedError();
}

/** Called once by main.ts. A second Ctrl-C always exits at once. */
export function installInterruptHandler(): void {
  process.on('SIGINT', () => {
    if (!watched || controller.signal.aborted) process.exit(EXIT_INTERRUPTED);
    controller.abort(new InterruptedError());
  });
}
