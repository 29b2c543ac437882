// `iso reset` (SPEC 4.11): empty the initrd area and restore the default kargs.

import type { IsoOutputConfig } from './iso-edit.js';
import { editLiveIso } from './iso-edit.js';

export async function isoReset(config: IsoOutputConfig): Promise<void> {
  await editLiveIso(config.input, config.output, (iso) => {
    iso.clearInitrd();
    if (iso.hasKargs()) iso.setKargs(iso.kargsDefault());
  });
}
