// Temporary directories removed after the test file.

import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, basename, resolve } from 'node:path';
import { afterAll, onTestFinished } from 'vitest';

/** Absolute path of the project root. */
export const ROOT = resolve(import.meta.dirname, '..', '..');

/** Path of a committed fixture, e.g. fixture('iso', 'x.iso.xz'). */
export function fixture(...parts: string[]): string {
  return join(ROOT, 'fixtures', ...parts);
}

/**
 * A fresh temporary directory: made inside a test it is deleted when that test
 * finishes (vitest never runs an afterAll registered from inside a test);
 * made at file level, when the file's tests end.
 */
export function tmpDir(prefix = 'nestos-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    onTestFinished(remove);
  } catch {
    afterAll(remove);
  }
  return dir;
}

/** Copy a file into dir (fixtures are copied before they are mutated). */
export function copyInto(dir: string, file: string, name = basename(file)): string {
  const dest = join(dir, name);
  copyFileSync(file, dest);
  return dest;
}

/**
 * A directory for caches kept for the whole run (shared across describes and
 * files): it lives under the run's temp root and goes at the run's teardown
 * (test/global-setup.ts), whether the tests passed or not.
 */
export function runCacheDir(prefix: string): string {
  const cache = join(cacheRoot(), 'cache');
  mkdirSync(cache, { recursive: true });
  return mkdtempSync(join(cache, prefix));
}

export function cacheRoot(): string {
  const root = process.env['NESTOS_TEST_RUN_ROOT'];
  if (root === undefined) throw new Error('NESTOS_TEST_RUN_ROOT is unset: run the tests through vitest (test/global-setup.ts)');
  return root;
}
