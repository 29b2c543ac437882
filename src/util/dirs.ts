// `mkdir -p` that reports the real reason. Node's recursive mkdir answers
// ENOENT when a parent cannot be created (on a read-only mount, say), which
// names no cause a user can act on; walking the components finds it.

import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { hasErrorCode } from './errors.js';

export async function makeDirectories(path: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true });
    return;
  } catch (err) {
    if (!hasErrorCode(err, 'ENOENT')) throw err;
  }
  const missing: string[] = [];
  for (let cur = path; ; cur = dirname(cur)) {
    const exists = await stat(cur).then(
      () => true,
      () => false,
    );
    if (exists || dirname(cur) === cur) break;
    missing.unshift(cur);
  }
  for (const dir of missing) {
    try {
      await mkdir(dir);
    } catch (err) {
      if (!hasErrorCode(err, 'EEXIST')) throw err;
    }
  }
}
