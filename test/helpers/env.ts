// Preconditions of tests that need root or a system tool. Unprivileged runs
// skip with a printed reason; under CI=true a skip is a failure (README).

import { execFileSync } from 'node:child_process';

const inCi = process.env['CI'] === 'true';

/**
 * A precondition the caller checked itself is not met: prints the reason and
 * returns it (a skip), or throws under CI=true.
 */
export function missing(reason: string): string | undefined {
  if (inCi) throw new Error(`CI=true and the test cannot run: ${reason}`);
  process.stderr.write(`skipping: ${reason}\n`);
  return reason;
}

export function hasTool(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v "$1"`, 'sh', tool], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Returns a skip reason (string) when the requirements are not met, or
 * undefined when the test can run. Use with `describe.skipIf(needs(...))`.
 * Under CI=true it throws instead of skipping.
 */
export function needs(opts: { root?: boolean; tools?: string[] }): string | undefined {
  if (opts.root && process.getuid?.() !== 0) return missing('needs root');
  for (const tool of opts.tools ?? []) {
    if (!hasTool(tool)) return missing(`needs ${tool}`);
  }
  return undefined;
}
