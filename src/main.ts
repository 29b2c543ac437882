#!/usr/bin/env node
// The program: parse, run, print the error chain, set the exit status. With
// bin.ts (the npm bin, which answers --version and the top-level --help before
// this module loads), the only module that touches process.exitCode /
// process.exit.

import { ROOT_COMMAND } from './cli/index.js';
import { parseCommandLine } from './cli/parse.js';
import { EXIT_BROKEN_PIPE, EXIT_FAILURE, EXIT_USAGE } from './util/constants.js';
import { InterruptedError, UsageError, formatErrorChain, hasErrorCode } from './util/errors.js';
import { debugEnabled } from './util/log.js';
import { installInterruptHandler, interruptExitCode } from './util/interrupt.js';
import { packageVersion } from './util/version.js';

function isInterrupted(err: unknown): boolean {
  let cur: unknown = err;
  while (cur instanceof Error) {
    if (cur instanceof InterruptedError) return true;
    cur = cur.cause;
  }
  return false;
}

async function main(argv: string[]): Promise<void> {
  installInterruptHandler();
  process.stdout.on('error', (err) => {
    if ((err as { code?: string }).code === 'EPIPE') process.exit(EXIT_BROKEN_PIPE);
  });
  try {
    const invocation = await parseCommandLine(ROOT_COMMAND, argv, packageVersion());
    if (invocation.kind === 'print') {
      (invocation.stream === 'stdout' ? process.stdout : process.stderr).write(invocation.text);
      process.exitCode = invocation.exitCode;
      return;
    }
    await invocation.run();
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`error: ${err.detail}\n\nUsage: ${err.usage}\n\nFor more information, try '--help'.\n`);
      process.exitCode = EXIT_USAGE;
      return;
    }
    if (hasErrorCode(err, 'EPIPE')) {
      process.exitCode = EXIT_BROKEN_PIPE;
      return;
    }
    process.stderr.write(formatErrorChain(err));
    if (debugEnabled() && err instanceof Error) process.stderr.write(`${err.stack ?? ''}\n`);
    process.exitCode = isInterrupted(err) ? interruptExitCode() : EXIT_FAILURE;
  }
}

// Stack traces name the TypeScript sources (dist/*.js.map) when debugging.
if (debugEnabled()) process.setSourceMapsEnabled(true);
// No top-level await: the standalone executable runs this as one CommonJS script.
void main(process.argv.slice(2));
