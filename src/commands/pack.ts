// `pack minimal-iso` (SPEC 4.14): store a minimal ISO inside a full live ISO's
// `<FAMILY>/MINISO.DAT`, so `iso extract minimal-iso` can rebuild it.

import { unlink } from 'node:fs/promises';
import { openIso } from '../live/live-output.js';
import { isoFamily } from '../live/iso-family.js';
import { serializeMiniso } from '../live/miniso.js';
import { packMiniso, writeMinisoFile } from '../live/miniso-pack.js';
import { context, withContext } from '../util/errors.js';
import { info } from '../util/log.js';
import { packageVersion } from '../util/version.js';

export interface PackMinimalIsoConfig {
  full: string;
  minimal: string;
  consume: boolean;
}

export async function packMinimalIso(config: PackMinimalIsoConfig): Promise<void> {
  const full = await openIso(config.full, { writable: true });
  try {
    const minimal = await openIso(config.minimal, { writable: false });
    try {
      const path = (await isoFamily(full.iso)).minisoPath;
      const file = await withContext(`looking up '${path}'`, () => full.iso.getFile(path));
      const { data } = await packMiniso(full.iso, config.full, minimal.iso, config.minimal, packageVersion(), info);
      await withContext(`writing ${path}`, () => writeMinisoFile(full.iso, file, serializeMiniso(data)));
    } finally {
      await minimal.close();
    }
    if (config.consume) await unlink(config.minimal).catch(context(`consuming ${config.minimal}`));
    info('Packing successful!');
  } finally {
    await full.close();
  }
}
