// Writing initrd members into a directory (`dev extract initrd`, SPEC 5.6),
// never outside it: absolute names and ".." components are refused, parent
// directories are created one component at a time and must be real
// directories (a symlink placed by the existing tree or an earlier member is
// refused), and files are created exclusively without following symlinks,
// complete or not at all.

import { lstat, mkdir } from 'node:fs/promises';
import { createNewFile } from '../util/atomic-file.js';
import { makeDirectories } from '../util/dirs.js';
import { CliError, ContextError, hasErrorCode } from '../util/errors.js';
import type { Initrd } from './initrd.js';
import { hasTraversal, rustJoin } from '../util/paths.js';

/** A member name for a message: control characters escaped, never written raw to a terminal. */
export function printable(name: string): string {
  return name.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

async function ensureDirectory(path: string): Promise<void> {
  try {
    const st = await lstat(path);
    if (st.isSymbolicLink()) throw new CliError(`refusing to follow symbolic link ${path}`);
    if (!st.isDirectory()) throw new CliError(`${path} is not a directory`);
  } catch (err) {
    if (!hasErrorCode(err, 'ENOENT')) throw err;
    await mkdir(path);
  }
}

/**
 * Extract `names` (already sorted) into `directory`. `onPath` runs with each
 * output path before it is written (the `-v` listing).
 */
export async function extractMembers(
  initrd: Initrd,
  names: string[],
  directory: string,
  onPath?: (path: string) => Promise<void>,
): Promise<void> {
  for (const name of names) {
    if (hasTraversal(name)) throw new CliError(`path ${printable(name)} contains path traversal`);
    if (name.includes('\0')) throw new CliError(`path ${printable(name)} contains a NUL byte`);
    const out = rustJoin(directory, name);
    await onPath?.(printable(out));
    const components = name.split('/').filter((c) => c !== '' && c !== '.');
    const parents = components.slice(0, -1);
    const parentPath = parents.length > 0 ? rustJoin(directory, parents.join('/')) : directory;
    try {
      await makeDirectories(directory);
      let cur = directory;
      for (const component of parents) {
        cur = rustJoin(cur, component);
        await ensureDirectory(cur);
      }
    } catch (err) {
      throw new ContextError(`creating ${parentPath}`, err);
    }
    // link(2) never follows a symlink at `out`, and the name appears only when complete.
    await createNewFile(out, initrd.get(name) ?? Buffer.alloc(0));
  }
}
