// Saved partitions (SPEC 3.5.2-3.5.4): select entries of the destination's
// GPT by filters, then "overwrite" (a fresh table holding only them) and
// "merge" (the image's table plus them, resized to the disk).

import { randomBytes } from 'node:crypto';
import { open, rm, mkdtemp } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFullyAt, writeFully } from '../io/file-io.js';
import { filterMatches, type PartitionFilter } from './partition-filter.js';
import { invokedFamily } from '../util/family.js';
import { CliError, ContextError } from '../util/errors.js';
import { info } from '../util/log.js';
import { bufferReader, newGpt, protectiveMbr, readGpt, resizeGpt, serializeGpt, type GptEntry, type SectorReader } from './gpt.js';

export function handleReader(handle: FileHandle, length: number): SectorReader {
  return {
    length,
    read: async (offset, len) => {
      // Past the end of the device reads as zeros.
      const buf = Buffer.alloc(len);
      if (offset < length) await readFullyAt(handle, buf.subarray(0, Math.min(len, length - offset)), offset);
      return buf;
    },
  };
}

export class SavedPartitions {
  private constructor(
    /** Sector size of the saved entries (the device's when nothing is saved). */
    readonly sectorSize: number,
    /** Ascending original index. */
    readonly entries: GptEntry[],
    /** Whether the destination is a block device (sector size checks, 3.5.3 step 1). */
    private readonly deviceSectorSize: number | undefined,
  ) {}

  static empty(sectorSize: number): SavedPartitions {
    return new SavedPartitions(sectorSize, [], undefined);
  }

  /** SPEC 3.5.2: read the destination's GPT and keep the entries the filters select. */
  static async fromDisk(
    reader: SectorReader,
    deviceSectorSize: number,
    filters: PartitionFilter[],
    opts: { isBlockDevice: boolean },
  ): Promise<SavedPartitions> {
    const checkSize = opts.isBlockDevice ? deviceSectorSize : undefined;
    if (filters.length === 0) return new SavedPartitions(deviceSectorSize, [], checkSize);
    let gpt;
    try {
      gpt = await readGpt(reader);
    } catch (err) {
      throw new ContextError('reading partition table', err);
    }
    if (gpt === undefined) {
      const mbr = await reader.read(510, 2);
      if (filters.some((f) => f.kind === 'index') && mbr[0] === 0x55 && mbr[1] === 0xaa) {
        throw new CliError('saving partitions from an MBR disk is not yet supported');
      }
      return new SavedPartitions(deviceSectorSize, [], checkSize);
    }
    if (gpt.sectorSize !== deviceSectorSize) {
      throw new CliError(`GPT sector size ${gpt.sectorSize} doesn't match expected ${deviceSectorSize}`);
    }
    const kept = gpt.entries.filter((e) => filterMatches(filters, e.index, e.name));
    const saved = new SavedPartitions(gpt.sectorSize, kept, checkSize);
    if (kept.length > 0) await saved.dryRun(reader.length);
    return saved;
  }

  get isEmpty(): boolean {
    return this.entries.length === 0;
  }

  /** The saved partition that starts lowest, as the limit reader needs it (2.9 step 6). */
  get limit(): { bytes: number; describe: string } | undefined {
    const first = [...this.entries].sort((a, b) => a.firstLba - b.firstLba)[0];
    if (first === undefined) return undefined;
    return { bytes: first.firstLba * this.sectorSize, describe: `partition ${first.index} ("${first.name}")` };
  }

  private checkDiskSectorSize(): void {
    if (this.deviceSectorSize !== undefined && this.deviceSectorSize !== this.sectorSize) {
      throw new CliError(`disk sector size ${this.deviceSectorSize} doesn't match expected ${this.sectorSize}`);
    }
  }

  /** SPEC 3.5.3: a fresh table (random disk GUID) with only the saved entries, boot code zeroed. */
  async overwrite(dest: FileHandle, deviceLength: number): Promise<void> {
    this.checkDiskSectorSize();
    const s = this.sectorSize;
    const gpt = newGpt(s, deviceLength);
    gpt.entries = this.entries.map((e) => ({ ...e }));
    try {
      for (const w of serializeGpt(gpt)) await writeFully(dest, w.data, w.offset);
    } catch (err) {
      throw new ContextError('writing new GPT', err);
    }
    await writeFully(dest, Buffer.alloc(446), 0);
    if (s > 512) await writeFully(dest, Buffer.alloc(s - 512), 512);
    await writeFully(dest, protectiveMbr(s, deviceLength), 446).catch((err: unknown) => {
      throw new ContextError('writing MBR', err);
    });
  }

  /**
   * SPEC 2.9 step 5 with 3.5.4: the image's first sector, the merged GPT
   * and the protective MBR, then the image's bytes after the GPT area.
   */
  async commitMerged(dest: FileHandle, firstMiB: Buffer, deviceLength: number): Promise<void> {
    this.checkDiskSectorSize();
    const s = this.sectorSize;
    let image;
    try {
      image = await readGpt(bufferReader(firstMiB), s);
      if (image === undefined) throw new CliError('invalid signature');
    } catch (err) {
      throw new ContextError("couldn't read partition table from source", err);
    }
    if (image.sectorSize !== s) throw new CliError(`GPT sector size ${image.sectorSize} doesn't match expected ${s}`);
    const merged = resizeGpt(image, deviceLength);
    const entries = [...image.entries];
    let next = entries.reduce((m, e) => Math.max(m, e.index), 0) + 1;
    for (const saved of this.entries) {
      next = Math.max(next, saved.index);
      info(`Saving partition ${saved.index} ("${saved.name}") to new partition ${next}`);
      entries.push({ ...saved, index: next });
      next += 1;
    }
    merged.entries = entries;
    await writeFully(dest, firstMiB.subarray(0, s), 0).catch((err: unknown) => {
      throw new ContextError('writing MBR', err);
    });
    try {
      for (const w of serializeGpt(merged)) await writeFully(dest, w.data, w.offset);
    } catch (err) {
      throw new ContextError('writing updated GPT', err);
    }
    await writeFully(dest, protectiveMbr(s, deviceLength), 446);
    const g = merged.header.firstUsableLba * s;
    await writeFully(dest, firstMiB.subarray(g), g).catch((err: unknown) => {
      throw new ContextError('writing first MiB of disk', err);
    });
  }

  /** SPEC 3.5.2 dry run: overwrite into a sparse temp file as long as the device. */
  private async dryRun(deviceLength: number): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), invokedFamily().tempDirPrefix));
    try {
      const file = await open(join(dir, 'dry-run'), 'w+');
      try {
        await file.truncate(deviceLength);
        await new SavedPartitions(this.sectorSize, this.entries, undefined).overwrite(file, deviceLength);
      } finally {
        await file.close();
      }
    } catch (err) {
      throw new ContextError('failed dry run restoring saved partitions; input partition table may be invalid', err);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** SPEC 3.9 step 2: keep the saved entries in a stash file; returns its path. */
  async stash(deviceLength: number): Promise<string> {
    const path = join(tmpdir(), `${invokedFamily().partitionStashPrefix}${randomBytes(6).toString('base64url').slice(0, 6)}`);
    const file = await open(path, 'wx', 0o600);
    try {
      await file.truncate(deviceLength);
      await new SavedPartitions(this.sectorSize, this.entries, undefined).overwrite(file, deviceLength);
    } finally {
      await file.close();
    }
    return path;
  }
}
