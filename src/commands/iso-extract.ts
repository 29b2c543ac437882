// `iso extract pxe` (SPEC 4.12): copy the files of IMAGES/PXEBOOT out of a
// live ISO as `<ISO stem>-<lower-cased name>`, streamed in 256 KiB blocks.

import { mkdir, open, unlink } from 'node:fs/promises';
import { copyRange } from '../io/file-io.js';
import { recordOffset, type IsoFile } from '../iso9660/directory.js';
import type { IsoFs } from '../iso9660/iso-fs.js';
import { openIso } from '../live/live-output.js';
import { context, withContext } from '../util/errors.js';
import { rustFileStem, rustJoin } from '../util/paths.js';
import { writeStdout } from '../util/stdio.js';
import { invokedFamily } from '../util/family.js';

export interface IsoExtractPxeConfig {
  outputDir: string;
  input: string;
}

const PXEBOOT_DIR = 'IMAGES/PXEBOOT';

export async function isoExtractPxe(config: IsoExtractPxeConfig): Promise<void> {
  const live = await openIso(config.input, { writable: false });
  try {
    const pxeboot = await withContext(invokedFamily().unrecognizedIso, () => live.iso.getPath(PXEBOOT_DIR));
    if (pxeboot.kind !== 'directory') throw new Error(`entry ${pxeboot.name} is a file`);
    await mkdir(config.outputDir, { recursive: true }).catch(context(`creating directory ${config.outputDir}`));
    const prefix = `${rustFileStem(config.input) ?? ''}-`;
    for (const record of await live.iso.listDirectory(pxeboot)) {
      if (record.kind !== 'file') continue;
      const out = rustJoin(config.outputDir, prefix + record.name.toLowerCase());
      await writeStdout(`${out}\n`);
      await copyFileFromIso(live.iso, record, out);
    }
  } finally {
    await live.close();
  }
}

/** Exclusive create, so nothing is overwritten; a partial copy is removed. */
async function copyFileFromIso(iso: IsoFs, file: IsoFile, path: string): Promise<void> {
  const out = await open(path, 'wx').catch(context(`opening ${path}`));
  try {
    await copyRange(iso.handle, recordOffset(file), file.length, out, 0);
    await out.close();
  } catch (err) {
    await out.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
    throw err;
  }
}
