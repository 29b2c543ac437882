// Edge helpers for the initrd commands: read an initrd from a file or stdin,
// write a wrapped initrd to a file (temp + rename, mode 0666 & ~umask) or stdout.

import { open } from 'node:fs/promises';
import { createAtomicFile } from '../util/atomic-file.js';
import { ContextError, context } from '../util/errors.js';
import { readStdin, writeStdout } from '../util/stdio.js';

/** The whole initrd (SPEC 10.5 allows buffering): `opening <p>` / `reading <p>`; "-" or none = stdin. */
export async function readInitrdInput(path: string | undefined): Promise<Buffer> {
  if (path === undefined || path === '-') return readStdin().catch(context('reading stdin'));
  const fh = await open(path, 'r').catch(context(`opening ${path}`));
  try {
    return await fh.readFile().catch(context(`reading ${path}`));
  } finally {
    await fh.close();
  }
}

/** `-o FILE` (create or replace, never half-written; `writing FILE`) or stdout. */
export async function writeBinaryOutput(path: string | undefined, data: Buffer): Promise<void> {
  if (path === undefined) {
    await writeStdout(data);
    return;
  }
  const file = await createAtomicFile(path, { noClobber: false, mode: 0o666 }).catch(context(`writing ${path}`));
  try {
    await file.handle.writeFile(data).catch(context(`writing ${path}`));
    await file.commit().catch((err: unknown) => {
      throw new ContextError(`writing ${path}`, err);
    });
  } finally {
    await file.discard();
  }
}
