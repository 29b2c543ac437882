// Shared flow of every ISO-modifying command (SPEC 4.6): open, edit the model,
// compute all regions (capacity checks included), and only then write, in
// place, to a new file, or to stdout.

import type { IsoConfig } from '../live/iso-config.js';
import { dropFileCopy, openLiveIso, startFileCopy, writeLiveIso, type LiveIso, type OutputTarget } from '../live/live-output.js';
import { refuseTtyStdout } from '../util/stdio.js';

export interface IsoOutputConfig {
  output?: string;
  input: string;
}

export type IsoEdit = (config: IsoConfig, live: LiveIso) => void | Promise<void>;

/** Apply `edit` to the ISO at `input` and write the result as `output` says (undefined = in place, '-' = stdout). */
export async function editLiveIso(input: string, output: string | undefined, edit: IsoEdit): Promise<void> {
  const copy = output !== undefined && output !== '-' ? (await startFileCopy(input, output))?.file : undefined;
  try {
    const live = await openLiveIso(input, { writable: output === undefined });
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
    } finally {
      await live.close();
    }
  } catch (err) {
    // The early copy of the input (if any) is not needed when the edit fails.
    await dropFileCopy(copy);
    throw err;
  }
}
