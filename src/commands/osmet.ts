// `pack osmet`, `dev show fiemap` and `dev extract osmet` (SPEC 1.13, 1.14; OSMET.md).

import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { machine } from 'node:os';
import { inspectTarget, sectorSize } from '../blockdev/device.js';
import { fiemapPath } from '../osmet/fiemap.js';
import { handleSink } from '../io/handle-sink.js';
import { readOsmetContents } from '../osmet/file.js';
import { packOsmet as pack } from '../osmet/pack.js';
import { openUnpackedImage } from '../osmet/unpack.js';
import { CliError, context, withContext } from '../util/errors.js';
import { interruptSignal } from '../util/interrupt.js';
import { writeStdout } from '../util/stdio.js';
import { packageVersion } from '../util/version.js';

export interface PackOsmetConfig {
  output: string;
  checksum: string;
  description: string;
  fast: boolean;
  device: string;
}

export interface DevShowFiemapConfig {
  file: string;
}

export interface DevExtractOsmetConfig {
  osmet: string;
  repo: string;
  device: string;
}

export async function packOsmet(config: PackOsmetConfig): Promise<void> {
  if (!/^[0-9a-fA-F]{64}$/.test(config.checksum)) throw new CliError(`invalid SHA-256 checksum '${config.checksum}'`);
  const target = await inspectTarget(config.device);
  if (target.kind !== 'block') throw new CliError(`${config.device} is not a block device`);
  await pack({
    device: target.canonical,
    output: config.output,
    checksum: config.checksum,
    description: config.description,
    fast: config.fast,
    // The running kernel's machine, as upstream's compile-time architecture.
    architecture: machine(),
    sectorSize: await sectorSize(target),
    appVersion: packageVersion(),
  });
}

export async function devShowFiemap(config: DevShowFiemapConfig): Promise<void> {
  const extents = await withContext(`mapping ${config.file}`, () => fiemapPath(config.file));
  await writeStdout(extents.map((e) => `Extent { logical: ${e.logical}, physical: ${e.physical}, length: ${e.length} }\n`).join(''));
}

export async function devExtractOsmet(config: DevExtractOsmetConfig): Promise<void> {
  const contents = await readOsmetContents(config.osmet).catch(context(`reading osmet file ${config.osmet}`));
  const dest = await open(config.device, 'r+').catch(context(`opening ${config.device}`));
  try {
    const image = await openUnpackedImage(config.osmet, contents, config.repo);
    await pipeline(image, handleSink(dest), { signal: interruptSignal() }).catch(context('unpacking osmet image'));
    await dest.sync().catch(context(`syncing ${config.device}`));
  } finally {
    await dest.close();
  }
}
