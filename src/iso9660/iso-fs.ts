// A thin ISO 9660 reader over a FileHandle: descriptors, path lookup, walk
// and file data (SPEC 4.1). Reads only what it needs, never the whole image.

import type { FileHandle } from 'node:fs/promises';
import { readExactAt } from '../io/file-io.js';
import { ContextError, NotFoundError, ShortReadError, context, withContext } from '../util/errors.js';
import {
  ISO_BLOCK_SIZE,
  applyRockRidge,
  parseDirectory,
  parseSusp,
  recordMatches,
  recordOffset,
  type IsoDirectory,
  type IsoFile,
  type IsoRecord,
} from './directory.js';
import { DESCRIPTORS_OFFSET, DESCRIPTOR_TERMINATOR, parseDescriptor, type PrimaryDescriptor, type VolumeDescriptor } from './volume.js';

/** The most one read into memory may take (directories, JSON files, embed areas). */
const MAX_IN_MEMORY = 64 * 1024 * 1024;

export interface WalkEntry {
  /** Path joined with `/`, no leading slash. */
  path: string;
  record: IsoRecord;
}

export class IsoFs {
  private constructor(
    readonly handle: FileHandle,
    readonly descriptors: VolumeDescriptor[],
    readonly primary: PrimaryDescriptor,
    /** Size of the image file: nothing is read past it. */
    readonly size: number,
  ) {}

  /**
   * Read `length` bytes at `offset` into memory. A range past the end of the
   * image (a corrupted length or address) fails before anything is allocated,
   * as a short read; directories and small files above MAX_IN_MEMORY are refused.
   */
  private async readBounded(offset: number, length: number, what: string): Promise<Buffer> {
    if (offset + length > this.size) throw new ShortReadError();
    if (length > MAX_IN_MEMORY) throw new Error(`${what} of ${length} bytes is larger than ${MAX_IN_MEMORY} bytes`);
    return readExactAt(this.handle, offset, length);
  }

  /** Parse the descriptors and check the volume fits in the file (no context added). */
  static async open(handle: FileHandle): Promise<IsoFs> {
    const descriptors: VolumeDescriptor[] = [];
    for (let n = 1; ; n++) {
      const desc = await withContext(`getting volume descriptor #${n}`, async () => {
        const position = DESCRIPTORS_OFFSET + (n - 1) * ISO_BLOCK_SIZE;
        const buf = await readExactAt(handle, position, ISO_BLOCK_SIZE).catch(context('reading volume descriptor'));
        return buf[0] === DESCRIPTOR_TERMINATOR ? undefined : parseDescriptor(buf);
      });
      if (desc === undefined) break;
      descriptors.push(desc);
    }
    const primary = descriptors.find((d): d is PrimaryDescriptor => d.type === 'primary');
    if (primary === undefined) throw new Error('no primary volume descriptor found in ISO');
    const { size } = await handle.stat();
    if (primary.volume_space_size * ISO_BLOCK_SIZE > size) throw new Error('ISO image is incomplete');
    return new IsoFs(handle, descriptors, primary, size);
  }

  root(): IsoDirectory {
    const { name, address, length } = this.primary.root;
    return { kind: 'directory', name, address, length };
  }

  /** The non-dot records of a directory, in on-disk order, with their Rock Ridge names. */
  async listDirectory(dir: IsoDirectory): Promise<IsoRecord[]> {
    const data = await this.readBounded(recordOffset(dir), dir.length, `directory ${dir.name}`);
    const records = parseDirectory(data);
    for (const record of records) await this.followContinuations(record);
    return records;
  }

  /** Read the SUSP continuation areas (`CE`) a record points to, for the rest of its name. */
  private async followContinuations(record: IsoRecord): Promise<void> {
    // A chain longer than this is a loop in a damaged image: keep what was read.
    for (let hops = 0; record.susp !== undefined && hops < 16; hops++) {
      const { offset, length, nameContinues } = record.susp;
      const area = await this.readBounded(offset, Math.min(length, ISO_BLOCK_SIZE), 'continuation area');
      const before = record.rrName === undefined ? undefined : [record.rrName];
      applyRockRidge(record, parseSusp(area, { name: before, continues: nameContinues === true }));
    }
    delete record.susp;
  }

  /** Look up a path by primary names, exactly (SPEC 4.1.4); absent components are NotFoundError. */
  async getPath(path: string): Promise<IsoRecord> {
    return this.resolve(
      path,
      (records, c) => records.find((r) => r.name === c),
      (c) => c,
    );
  }

  /**
   * Look up a path as the image's builder named it (kargs.json and igninfo
   * name files by their long names): each component matches a record's Rock
   * Ridge name, or its primary name as upstream matches it (upper-cased). So
   * `EFI/openEuler/grub.cfg` resolves on a level-1 image whose primary names
   * are `EFI/OPENEULE` and `EFI/BOOT`. Messages name components upper-cased,
   * as upstream's do (it upper-cases the path before looking it up).
   */
  async lookup(path: string): Promise<IsoRecord> {
    return this.resolve(path, findLongName, (c) => c.toUpperCase());
  }

  private async resolve(
    path: string,
    match: (records: IsoRecord[], c: string) => IsoRecord | undefined,
    show: (c: string) => string,
  ): Promise<IsoRecord> {
    const components: string[] = [];
    for (const c of path.split('/')) {
      if (c === '' || c === '.') continue;
      if (c === '..') components.pop();
      else components.push(c);
    }
    const last = components.pop();
    let dir = this.root();
    if (last === undefined) return dir;
    for (const c of components) {
      const found = match(await this.listDirectory(dir), c);
      if (found === undefined) throw new NotFoundError(`intermediate directory ${show(c)} does not exist`);
      if (found.kind !== 'directory') {
        throw new NotFoundError(`component "${show(c)}" in path ${show(path)} is not a directory`);
      }
      dir = found;
    }
    const found = match(await this.listDirectory(dir), last);
    if (found === undefined) {
      throw new NotFoundError(`no record for ${show(last)} in directory ${show(components.join('/'))}`);
    }
    return found;
  }

  /** A file by its long name (see `lookup`). */
  async lookupFile(path: string): Promise<IsoFile> {
    const record = await this.lookup(path);
    if (record.kind !== 'file') throw new Error(`entry ${record.name} is a directory`);
    return record;
  }

  async getFile(path: string): Promise<IsoFile> {
    const record = await this.getPath(path);
    if (record.kind !== 'file') throw new Error(`entry ${record.name} is a directory`);
    return record;
  }

  async getDirectory(path: string): Promise<IsoDirectory> {
    const record = await this.getPath(path);
    if (record.kind !== 'directory') throw new Error(`entry ${record.name} is a file`);
    return record;
  }

  /** Pre-order depth-first walk in on-disk record order (SPEC 4.1.5). */
  async *walk(): AsyncGenerator<WalkEntry> {
    yield* this.walkDirectory(this.root(), '');
  }

  /**
   * Iterative, and each directory extent is visited once: a damaged record
   * that points back at an ancestor (or any directory seen before) is an
   * error, not an endless descent.
   */
  private async *walkDirectory(top: IsoDirectory, topPrefix: string): AsyncGenerator<WalkEntry> {
    const seen = new Set<number>([top.address]);
    const stack: Array<{ records: IsoRecord[]; index: number; prefix: string }> = [
      { records: await this.listDirectory(top), index: 0, prefix: topPrefix },
    ];
    while (stack.length > 0) {
      const frame = stack[stack.length - 1] as (typeof stack)[number];
      const record = frame.records[frame.index++];
      if (record === undefined) {
        stack.pop();
        continue;
      }
      const path = frame.prefix === '' ? record.name : `${frame.prefix}/${record.name}`;
      yield { path, record };
      if (record.kind !== 'directory') continue;
      if (seen.has(record.address)) throw new Error(`directory ${path} loops back to a directory already visited`);
      seen.add(record.address);
      stack.push({ records: await this.listDirectory(record), index: 0, prefix: path });
    }
  }

  /** A (small) file's whole contents. */
  async readFile(file: IsoFile): Promise<Buffer> {
    return this.readBounded(recordOffset(file), file.length, `file ${file.name}`);
  }

  /** Bytes at an absolute offset of the image. */
  async readAt(offset: number, length: number): Promise<Buffer> {
    return this.readBounded(offset, length, 'area');
  }
}

/** The record for a long-name component: its Rock Ridge name first, then upstream's upper-cased primary name. */
function findLongName(records: IsoRecord[], c: string): IsoRecord | undefined {
  return records.find((r) => r.rrName === c) ?? records.find((r) => recordMatches(r, c));
}

/** Open with upstream's outer context for ISO parsing errors. */
export async function openIsoFs(handle: FileHandle): Promise<IsoFs> {
  try {
    return await IsoFs.open(handle);
  } catch (err) {
    throw new ContextError('parsing ISO9660 image', err);
  }
}
