// `iso extract pxe` (SPEC 4.12): copy the files of IMAGES/PXEBOOT out of a
// live ISO as `<ISO stem>-<lower-cased name>`, streamed in 256 KiB blocks.

import { randomBytes } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyRange, readFullyAt, writeFully } from '../io/file-io.js';
import { recordOffset, type IsoFile } from '../iso9660/directory.js';
import type { IsoFs } from '../iso9660/iso-fs.js';
import { openIso, openLiveIso } from '../live/live-output.js';
import { customizedIsoError, fixMinimalIsoKargs, readMinisoData } from '../live/minimal-iso.js';
import { unpackMiniso } from '../live/miniso-unpack.js';
import { createAtomicFile, createExclusiveFile } from '../util/atomic-file.js';
import { BUFFER_SIZE } from '../util/constants.js';
import { makeDirectories } from '../util/dirs.js';
import { context, withContext } from '../util/errors.js';
import { invokedFamily } from '../util/family.js';
import { interruptSignal } from '../util/interrupt.js';
import { rustFileStem, rustJoin } from '../util/paths.js';
import { refuseTtyStdout, writeStdout } from '../util/stdio.js';

export interface IsoExtractPxeConfig {
  outputDir: string;
  input: string;
}

export interface IsoExtractMinimalIsoConfig {
  outputRootfs?: string;
  rootfsUrl?: string;
  input: string;
  /** `-` is stdout. */
  output: string;
}

const PXEBOOT_DIR = 'IMAGES/PXEBOOT';

export async function isoExtractPxe(config: IsoExtractPxeConfig): Promise<void> {
  const live = await openIso(config.input, { writable: false });
  try {
    const pxeboot = await withContext(invokedFamily().unrecognizedIso, () => live.iso.getPath(PXEBOOT_DIR));
    if (pxeboot.kind !== 'directory') throw new Error(`entry ${pxeboot.name} is a file`);
    await makeDirectories(config.outputDir).catch(context(`creating directory ${config.outputDir}`));
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

const ROOTFS_PATH = 'IMAGES/PXEBOOT/ROOTFS.IMG';

export async function isoExtractMinimalIso(config: IsoExtractMinimalIsoConfig): Promise<void> {
  const live = await openLiveIso(config.input, { writable: false });
  try {
    const full = live.config;
    if (full.members().size > 0 || full.kargsCurrent() !== full.kargsDefault()) throw customizedIsoError();
    const toStdout = config.output === '-';
    if (toStdout) refuseTtyStdout();
    if (config.outputRootfs !== undefined) {
      const rootfs = await withContext(`looking up '${ROOTFS_PATH}'`, () => live.iso.getFile(ROOTFS_PATH));
      await copyFileFromIso(live.iso, rootfs, config.outputRootfs);
    }
    const data = await readMinisoData(live.iso, full.family);
    // For stdout the temporary file lives in TMPDIR and is never published.
    const target = toStdout ? join(tmpdir(), `minimal-${randomBytes(6).toString('hex')}.iso`) : config.output;
    const file = await createAtomicFile(target, { noClobber: true, mode: 0o600, persistContext: false });
    try {
      let position = 0;
      const sink = async (chunk: Buffer): Promise<void> => {
        await writeFully(file.handle, chunk, position);
        position += chunk.length;
      };
      await withContext('unpacking miniso', () => unpackMiniso(data, live.handle, sink, interruptSignal()));
      await withContext('modifying miniso kernel args', async () => {
        const handle = await open(file.tempPath, 'r+');
        try {
          await fixMinimalIsoKargs(handle, config.rootfsUrl);
        } finally {
          await handle.close();
        }
      });
      if (toStdout) await copyFileToStdout(file.tempPath);
      else await file.commit();
    } finally {
      await file.discard();
    }
  } finally {
    await live.close();
  }
}

async function copyFileToStdout(path: string): Promise<void> {
  const handle: FileHandle = await open(path, 'r').catch(context(`opening ${path}`));
  try {
    const buf = Buffer.allocUnsafe(BUFFER_SIZE);
    for (let pos = 0; ; ) {
      const got = await readFullyAt(handle, buf, pos);
      if (got === 0) break;
      await withContext('writing output', () => writeStdout(Buffer.from(buf.subarray(0, got))));
      pos += got;
    }
  } finally {
    await handle.close();
  }
}

/** Exclusive create, so nothing is overwritten; the file appears only when complete. */
async function copyFileFromIso(iso: IsoFs, file: IsoFile, path: string): Promise<void> {
  // Complete or not at all: a temporary file linked into place (removed on error or interrupt).
  const out = await createExclusiveFile(path);
  try {
    await copyRange(iso.handle, recordOffset(file), file.length, out.handle, 0).catch(context(`writing ${path}`));
    await out.commit();
  } finally {
    await out.discard();
  }
}
