// Which family a live ISO belongs to (NESTOS.md "Two families"): its NESTOS/
// or COREOS/ metadata directory decides; the oldest images have neither, and
// then the name the tool was invoked under decides.

import type { IsoFs } from '../iso9660/iso-fs.js';
import { familyOfIsoRoot, invokedFamily, type OsFamily } from '../util/family.js';

export async function isoFamily(iso: IsoFs): Promise<OsFamily> {
  const names = (await iso.listDirectory(iso.root())).filter((r) => r.kind === 'directory').map((r) => r.name);
  return familyOfIsoRoot(names) ?? invokedFamily();
}
