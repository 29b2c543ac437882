// Output files that never appear half-written (SPEC 0.6).

import { randomBytes } from 'node:crypto';
import { link, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ContextError, context } from './errors.js';
import { invokedFamily } from './family.js';

/** A temporary file in the destination's directory, committed at the end. */
export interface AtomicFile {
  /** Path of the temporary file. */
  readonly tempPath: string;
  /** Final path. */
  readonly path: string;
  readonly handle: FileHandle;
  /** Close, then publish under `path` (no-clobber: link(2); replacing: rename(2)). */
  commit(): Promise<void>;
  /** Close and delete the temporary file; safe to call after commit (then it does nothing). */
  discard(): Promise<void>;
}

export interface AtomicFileOptions {
  /** Fail with EEXIST instead of replacing an existing file (the ISO commands' rule). */
  noClobber: boolean;
  /** Mode of the temporary file (0600 upstream for no-clobber outputs). */
  mode?: number;
  /** fsync before publishing (downloads). */
  sync?: boolean;
  /** Wrap a failed publish in "persisting output file to PATH" (default); minimal-iso reports the bare OS error. */
  persistContext?: boolean;
}

function tempName(dir: string): string {
  const suffix = randomBytes(6).toString('base64url').slice(0, 6);
  return join(dir, invokedFamily().tempFilePrefix + suffix);
}

/** Create the temporary file beside `path` (upstream context: "creating temporary file"). */
export async function createAtomicFile(path: string, options: AtomicFileOptions): Promise<AtomicFile> {
  const dir = dirname(path);
  let tempPath = '';
  let handle: FileHandle | undefined;
  for (let attempt = 0; handle === undefined; attempt++) {
    tempPath = tempName(dir);
    try {
      handle = await open(tempPath, 'wx', options.mode ?? 0o600);
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST' || attempt > 10) {
        throw new ContextError('creating temporary file', err);
      }
    }
  }
  const fh = handle;
  let state: 'open' | 'committed' | 'discarded' = 'open';
  return {
    tempPath,
    path,
    handle: fh,
    async commit() {
      if (options.sync) await fh.sync().catch(context(`syncing ${path}`));
      await fh.close();
      try {
        if (options.noClobber) {
          await link(tempPath, path);
          await unlink(tempPath);
        } else {
          await rename(tempPath, path);
        }
      } catch (err) {
        state = 'discarded';
        await unlink(tempPath).catch(() => undefined);
        if (options.persistContext === false) throw err;
        throw new ContextError(`persisting output file to ${path}`, err);
      }
      state = 'committed';
    },
    async discard() {
      if (state !== 'open') return;
      state = 'discarded';
      await fh.close().catch(() => undefined);
      await unlink(tempPath).catch(() => undefined);
    },
  };
}

/** Run `fill` on a new atomic file and commit it, or discard it if `fill` throws. */
export async function writeAtomically<T>(
  path: string,
  options: AtomicFileOptions,
  fill: (file: AtomicFile) => Promise<T>,
): Promise<T> {
  const file = await createAtomicFile(path, options);
  try {
    const result = await fill(file);
    await file.commit();
    return result;
  } finally {
    await file.discard();
  }
}

/** The bare file name, for messages. */
export function fileName(path: string): string {
  return basename(path);
}
