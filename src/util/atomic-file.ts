// Output files that never appear half-written (SPEC 0.6).

import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, copyFile, link, lstat, open, readlink, realpath, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ContextError, context, hasErrorCode } from './errors.js';
import { invokedFamily } from './family.js';
import { forgetOnExit, removeOnExit } from './interrupt.js';

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
  /**
   * Start from a copy of this regular file instead of an empty file: the
   * kernel copies it (copy_file_range(2), a reflink on CoW filesystems) while
   * creating the temporary file, before the handle is opened.
   */
  copyFrom?: string;
  /** Symbolic links followed so far (internal). */
  depth?: number;
}

/** Linux's limit on symbolic links followed in one lookup. */
const MAX_SYMLINK_DEPTH = 40;

function tempName(dir: string): string {
  const suffix = randomBytes(6).toString('base64url').slice(0, 6);
  return join(dir, invokedFamily().tempFilePrefix + suffix);
}

/** EEXIST as the system reports it ("File exists (os error 17)"), for checks made before writing. */
export function existsError(path: string, syscall = 'open'): Error {
  return Object.assign(new Error(`EEXIST: file already exists, ${syscall} '${path}'`), { code: 'EEXIST', errno: -17, syscall, path });
}

/**
 * An existing non-regular file (a device, a FIFO) is written in place, as
 * upstream's File::create does: it is never replaced by a rename.
 */
async function openInPlace(path: string): Promise<AtomicFile> {
  const fh = await open(path, 'w').catch(context(`opening ${path}`));
  let open_ = true;
  return {
    tempPath: path,
    path,
    handle: fh,
    async commit() {
      open_ = false;
      await fh.close();
    },
    async discard() {
      if (!open_) return;
      open_ = false;
      await fh.close().catch(() => undefined);
    },
  };
}

/**
 * Create the temporary file beside `path` (upstream context: "creating temporary file").
 * No-clobber: an existing `path` fails before anything is written. Replacing:
 * a symlink is followed (its target is replaced, never the link), and an
 * existing device or FIFO is written in place.
 */
export async function createAtomicFile(path: string, options: AtomicFileOptions): Promise<AtomicFile> {
  const st = await lstat(path).catch((err: unknown) => {
    if (hasErrorCode(err, 'ENOENT')) return undefined;
    throw new ContextError(`opening ${path}`, err);
  });
  if (st !== undefined) {
    if (options.noClobber) {
      const exists = existsError(path, 'link');
      throw options.persistContext === false ? exists : new ContextError(`persisting output file to ${path}`, exists);
    }
    if (st.isSymbolicLink()) {
      // As File::create: the link's target is written (created if missing), the link stays.
      const target =
        (await realpath(path).catch(() => undefined)) ?? resolve(dirname(path), await readlink(path).catch(context(`opening ${path}`)));
      if ((options.depth ?? 0) >= MAX_SYMLINK_DEPTH) {
        throw new ContextError(`opening ${path}`, Object.assign(new Error('ELOOP'), { code: 'ELOOP', syscall: 'open' }));
      }
      return createAtomicFile(target, { ...options, depth: (options.depth ?? 0) + 1 });
    }
    if (!st.isFile() && !st.isDirectory()) return openInPlace(path);
  }
  const dir = dirname(path);
  const mode = options.mode ?? 0o600;
  let tempPath = '';
  let handle: FileHandle | undefined;
  for (let attempt = 0; handle === undefined; attempt++) {
    tempPath = tempName(dir);
    try {
      handle = options.copyFrom === undefined ? await open(tempPath, 'wx', mode) : await createCopy(options.copyFrom, tempPath, mode);
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST' || attempt > 10) {
        throw err instanceof ContextError ? err : new ContextError('creating temporary file', err);
      }
    }
  }
  const fh = handle;
  if (options.copyFrom === undefined) removeOnExit(tempPath);
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
        forgetOnExit(tempPath);
        if (options.persistContext === false) throw err;
        throw new ContextError(`persisting output file to ${path}`, err);
      }
      state = 'committed';
      forgetOnExit(tempPath);
    },
    async discard() {
      if (state !== 'open') return;
      state = 'discarded';
      await fh.close().catch(() => undefined);
      await unlink(tempPath).catch(() => undefined);
      forgetOnExit(tempPath);
    },
  };
}

/**
 * The temporary file as a kernel copy of `from`, created exclusively (so
 * libuv never truncates it: on ext4, closing a file truncated to 0 flushes
 * everything written to it, 0.4 s for a 1 GiB ISO) and never readable by
 * others: the umask keeps it 0600 from its creation until `mode` is set.
 */
async function createCopy(from: string, tempPath: string, mode: number): Promise<FileHandle> {
  // Claim the name first, so a directory we cannot write to is reported as
  // upstream reports it ("creating temporary file"), not as a failed copy.
  removeOnExit(tempPath);
  try {
    await (await open(tempPath, 'wx', 0o600)).close();
  } catch (err) {
    forgetOnExit(tempPath);
    throw err;
  }
  await unlink(tempPath);
  const umask = process.umask(0o077);
  try {
    await copyFile(from, tempPath, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
  } catch (err) {
    forgetOnExit(tempPath);
    if (hasErrorCode(err, 'EEXIST')) throw err;
    await unlink(tempPath).catch(() => undefined);
    throw new ContextError('copying input to temporary file', err);
  } finally {
    process.umask(umask);
  }
  try {
    await chmod(tempPath, mode);
    return await open(tempPath, 'r+');
  } catch (err) {
    await unlink(tempPath).catch(() => undefined);
    forgetOnExit(tempPath);
    throw new ContextError('creating temporary file', err);
  }
}

/** Run `fill` on a new atomic file and commit it, or discard it if `fill` throws. */
export async function writeAtomically<T>(path: string, options: AtomicFileOptions, fill: (file: AtomicFile) => Promise<T>): Promise<T> {
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

/**
 * Exclusive create with all-or-nothing contents (the extraction commands):
 * fails like open(O_CREAT|O_EXCL) when `path` exists (`opening PATH`, before
 * anything is written); the data goes into a temporary file beside it that is
 * linked into place on commit (link(2) never follows a symlink at `path`), so
 * a full disk or an interrupt never leaves a truncated file under `path`.
 */
export async function createExclusiveFile(path: string, mode = 0o666): Promise<AtomicFile> {
  const exists = (): ContextError => new ContextError(`opening ${path}`, existsError(path));
  await lstat(path).then(
    () => {
      throw exists();
    },
    (err: unknown) => {
      if (!hasErrorCode(err, 'ENOENT')) throw new ContextError(`opening ${path}`, err);
    },
  );
  const file = await createAtomicFile(path, { noClobber: true, mode }).catch(context(`opening ${path}`));
  return {
    ...file,
    handle: file.handle,
    commit: () =>
      file.commit().catch((err: unknown) => {
        // Created by someone else meanwhile: report it as the exclusive open would.
        throw hasErrorCode(err, 'EEXIST') ? exists() : err;
      }),
  };
}

/** createExclusiveFile, filled with `data`. */
export async function createNewFile(path: string, data: Uint8Array, mode = 0o666): Promise<void> {
  const file = await createExclusiveFile(path, mode);
  try {
    await file.handle.writeFile(data).catch(context(`writing ${path}`));
    await file.commit();
  } finally {
    await file.discard();
  }
}
