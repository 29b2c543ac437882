// Opening a live ISO for customization and writing the result in one of the
// three output modes (SPEC 4.6), which all produce the same bytes.

import { open, stat, type FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { readFullyAt } from '../io/file-io.js';
import { context } from '../util/errors.js';
import { createAtomicFile, writeAtomically, type AtomicFile } from '../util/atomic-file.js';
import { openIsoFs, type IsoFs } from '../iso9660/iso-fs.js';
import { DESCRIPTORS_OFFSET, hasStandardId } from '../iso9660/volume.js';
import { IsoConfig } from './iso-config.js';
import { copyWithRegions, streamWithRegions, writeRegions, type Region } from './region.js';

/** Where the customized ISO goes: back into the input, a new file, or a stream. */
export type OutputTarget =
  | { kind: 'in-place' }
  /** `copy`: the temporary file, already being made as a copy of the input (startFileCopy). */
  | { kind: 'file'; path: string; copy?: Promise<AtomicFile> }
  | { kind: 'stream'; stream: Writable };

export interface LiveIso {
  path: string;
  handle: FileHandle;
  iso: IsoFs;
  close(): Promise<void>;
}

/** Open an ISO (read-write when it will be modified in place) and parse ISO 9660. */
export async function openIso(path: string, options: { writable: boolean }): Promise<LiveIso> {
  const handle = await open(path, options.writable ? 'r+' : 'r').catch(context(`opening ${path}`));
  try {
    const iso = await openIsoFs(handle);
    return { path, handle, iso, close: () => handle.close() };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** Open an ISO and load its customization model (SPEC 4.2), closing it on failure. */
export async function openLiveIso(path: string, options: { writable: boolean }): Promise<LiveIso & { config: IsoConfig }> {
  const live = await openIso(path, options);
  try {
    return { ...live, config: await IsoConfig.load(live.iso) };
  } catch (err) {
    await live.close();
    throw err;
  }
}

/**
 * For `-o FILE` from a regular file that starts like an ISO 9660 volume: the
 * output's temporary file, made by the kernel as a copy of the input
 * (copy_file_range, or a reflink where the filesystem clones) while the ISO
 * is parsed and edited; the copy is most of the time `-o` takes. Undefined
 * for anything else, and on any error: writeLiveIso then copies through user
 * space, and the input's own errors come first as without the early copy.
 */
export async function startFileCopy(input: string, output: string): Promise<{ file: Promise<AtomicFile> } | undefined> {
  try {
    if (!(await stat(input)).isFile()) return undefined;
    const handle = await open(input, 'r');
    try {
      const header = Buffer.alloc(6);
      if ((await readFullyAt(handle, header, DESCRIPTORS_OFFSET)) < header.length || !hasStandardId(header)) return undefined;
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
  const file = createAtomicFile(output, { noClobber: true, mode: 0o600, copyFrom: input });
  file.catch(() => undefined); // reported by writeLiveIso, after the input's errors
  return { file };
}

/** Remove a started copy that will not be used (its own error, if any, gives way to the one being thrown). */
export async function dropFileCopy(copy: Promise<AtomicFile> | undefined): Promise<void> {
  const file = await copy?.catch(() => undefined);
  await file?.discard();
}

/** Write the modified regions to the chosen target. Regions must already be computed. */
export async function writeLiveIso(live: LiveIso, regions: readonly Region[], target: OutputTarget): Promise<void> {
  switch (target.kind) {
    case 'in-place':
      await writeRegions(live.handle, regions);
      return;
    case 'file':
      if (target.copy !== undefined) {
        const file = await target.copy;
        try {
          await writeRegions(file.handle, regions);
          await file.commit();
        } finally {
          await file.discard();
        }
        return;
      }
      await writeAtomically(target.path, { noClobber: true, mode: 0o600 }, (file) => copyWithRegions(live.handle, file.handle, regions));
      return;
    case 'stream':
      await streamWithRegions(live.handle, target.stream, regions);
      return;
  }
}
