// Ctrl-C and SIGTERM. Long operations (install, download) that asked for
// interruptSignal() clean up before exiting; anything else exits at once, as
// without a handler, but first removes the temporary files registered with
// removeOnExit() (atomic outputs), so an interrupt never leaves one behind.

import { unlinkSync } from 'node:fs';
import { InterruptedError } from './errors.js';
import { EXIT_INTERRUPTED } from './constants.js';

const controller = new AbortController();
let watched = false;
const EXIT_TERMINATED = 143;
const EXIT_HANGUP = 129;
let exitCode = EXIT_INTERRUPTED;
const pending = new Set<string>();

/** The signal a cleanup-aware operation passes to its pipeline. */
export function interruptSignal(): AbortSignal {
  watched = true;
  return controller.signal;
}

/** Throw InterruptedError if Ctrl-C was pressed. */
export function throwIfInterrupted(): void {
  if (controller.signal.aborted) throw new InterruptedError();
}

/** The exit status for an interrupted run: 130 for SIGINT, 143 for SIGTERM. */
export function interruptExitCode(): number {
  return exitCode;
}

/** Delete `path` if the process is interrupted before forgetOnExit(path). */
export function removeOnExit(path: string): void {
  pending.add(path);
}

export function forgetOnExit(path: string): void {
  pending.delete(path);
}

function removePending(): void {
  for (const path of pending) {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  }
  pending.clear();
}

/**
 * Called once by main.ts. An operation that watches the signal cleans up
 * (unmount, detach, wipe) before exiting, and a second interrupt does not cut
 * that short; a third exits at once.
 */
export function installInterruptHandler(): void {
  let count = 0;
  const onSignal = (code: number) => () => {
    count++;
    if (!controller.signal.aborted) exitCode = code;
    if (!watched || count >= 3) {
      removePending();
      process.exit(exitCode);
    }
    if (count === 2) process.stderr.write('Cleaning up; interrupt once more to exit at once.\n');
    controller.abort(new InterruptedError());
  };
  process.on('SIGINT', onSignal(EXIT_INTERRUPTED));
  process.on('SIGTERM', onSignal(EXIT_TERMINATED));
  process.on('SIGHUP', onSignal(EXIT_HANGUP));
  // Any other way out (an error path that forgot a discard) still removes them.
  process.on('exit', removePending);
}
