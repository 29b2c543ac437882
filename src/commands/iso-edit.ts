// Shared flow of every ISO-modifying command (SPEC 4.6): open, edit the model,
// compute all regions (capacity checks included), and only then write, in
// place, to a new file, or to stdout.

import { open, stat } from 'node:fs/promises';
import type { IsoConfig } from '../live/iso-config.js';
import { openLiveIso, writeLiveIso, type LiveIso, type OutputTarget } from '../live/live-output.js';
import { createAtomicFile, type AtomicFile } from '../util/atomic-file.js';
import { refuseTtyStdout } from '../util/stdio.js';

export interface IsoOutputConfig {
  output?: string;
  input: string;
}

export type IsoEdit = (config: IsoConfig, live: LiveIso) => void | Promise<void>;

/** Offset of the first volume descriptor's "CD001" (ISO 9660, sector 16, byte 1). */
const VOLUME_DESCRIPTOR_ID = 16 * 2048 + 1;

/**
 * For `-o FILE` from a regular file that starts like an ISO 9660 volume: the
 * output's temporary file, made by the kernel as a copy of the input while the
 * ISO is parsed and edited (the copy is most of the time `-o` takes). Anything
 * else, and any error, is left to the ordinary path, which reports it in order.
 */
async function earlyCopy(input: string, output: string): Promise<{ file: Promise<AtomicFile> } | undefined> {
  try {
    if (!(await stat(input)).isFile()) return undefined;
    const handle = await open(input, 'r');
    try {
      const id = Buffer.alloc(5);
      const { bytesRead } = await handle.read(id, 0, 5, VOLUME_DESCRIPTOR_ID);
      if (bytesRead !== 5 || id.toString('latin1') !== 'CD001') return undefined;
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
  const file = createAtomicFile(output, { noClobber: true, mode: 0o600, copyFrom: input });
  file.catch(() => undefined); // its error is reported after the input's, as without the early copy
  return { file };
}

/** Remove an early copy that will not be used (its own error, if any, is dropped for the one being thrown). */
async function dropCopy(copy: Promise<AtomicFile> | undefined): Promise<void> {
  const file = await copy?.catch(() => undefined);
  await file?.discard();
}

/** Apply `edit` to the ISO at `input` and write the result as `output` says (undefined = in place, '-' = stdout). */
export async function editLiveIso(input: string, output: string | undefined, edit: IsoEdit): Promise<void> {
  const copy = output !== undefined && output !== '-' ? (await earlyCopy(input, output))?.file : undefined;
  let live: Awaited<ReturnType<typeof openLiveIso>>;
  try {
    live = await openLiveIso(input, { writable: output === undefined });
  } catch (err) {
    await dropCopy(copy);
    throw err;
  }
  try {
    await edit(live.config, live);
    const regions = await live.config.toRegions();
    let target: OutputTarget;
    if (output === undefined) {
      target = { kind: 'in-place' };
    } else if (output === '-') {
      refuseTtyStdout();
      target = { kind: 'stream', stream: process.stdout };
    } else {
      target = { kind: 'file', path: output, ...(copy !== undefined ? { copy } : {}) };
    }
    await writeLiveIso(live, regions, target);
  } catch (err) {
    await dropCopy(copy);
    throw err;
  } finally {
    await live.close();
  }
}
