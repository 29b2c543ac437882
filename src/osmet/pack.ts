// `pack osmet` (OSMET.md "Packing"): describe an installed disk as the extents
// of its OSTree object files plus an xz stream of every other byte.
//
//  1. Find the partitions labelled `boot` and `root`; use their mounts, or
//     mount them read-only on temp dirs.
//  2. Map every regular `ostree/repo/objects/*/*.file` on root with FIEMAP;
//     boot files over 1 KiB that are byte-identical to an object are mapped
//     to that object too. Extents are made canonical per partition.
//  3. Read the whole disk once: hash every byte, and xz everything that is not
//     mapped into a temp file beside the output.
//  4. Check the digest against --checksum, then unpack the temp file against
//     the mounted repository and check that it rebuilds the same digest.
//  5. Write header, table and packed stream to a temp file and rename it.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, readFile, readdir, rmdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { deviceNumber, listPartitions, type PartitionInfo } from '../blockdev/lsblk.js';
import { runTool } from '../blockdev/device.js';
import { readFullyAt } from '../io/file-io.js';
import { handleSink } from '../io/handle-sink.js';
import { createAtomicFile, type AtomicFile } from '../util/atomic-file.js';
import { DECOMPRESS_CHUNK_SIZE } from '../util/constants.js';
import { CliError, ContextError, context, layerMessage } from '../util/errors.js';
import { invokedFamily } from '../util/family.js';
import { info, warn } from '../util/log.js';
import { Encoder, canonicalizeMappings, encodeHeader, encodeTable, type Mapping, type OsmetPartition, type OsmetTable } from './format.js';
import { fiemapFiles } from './fiemap.js';

export interface PackOptions {
  device: string;
  output: string;
  /** Expected SHA-256 of the whole disk, hex. */
  checksum: string;
  description: string;
  fast: boolean;
  architecture: string;
  sectorSize: number;
  appVersion: string;
}

/** Upstream maps boot files larger than this that match an object. */
const BOOT_FILE_MIN_SIZE = 1024;

interface MountedPartition {
  info: PartitionInfo;
  dir: string;
  /** Byte range on the disk (sysfs start/size × 512). */
  start: number;
  end: number;
  release(): Promise<void>;
}

async function partitionRange(path: string): Promise<{ start: number; end: number }> {
  const devno = await deviceNumber(path);
  if (devno === undefined) throw new CliError(`${path} is not a block device`);
  const sys = `/sys/dev/block/${devno}`;
  const start = Number((await readFile(`${sys}/start`, 'utf8').catch(context(`reading ${sys}/start`))).trim());
  const size = Number((await readFile(`${sys}/size`, 'utf8').catch(context(`reading ${sys}/size`))).trim());
  return { start: start * 512, end: (start + size) * 512 };
}

async function mountByLabel(partitions: PartitionInfo[], device: string, label: string): Promise<MountedPartition> {
  const found = partitions.filter((p) => p.label === label);
  if (found.length === 0) throw new CliError(`couldn't find ${label} device`);
  if (found.length > 1) throw new CliError(`found multiple devices on ${device} with label "${label}"`);
  const part = found[0] as PartitionInfo;
  const range = await partitionRange(part.path);
  const existing = part.mountpoints[0];
  if (existing !== undefined) return { info: part, dir: existing, ...range, release: async () => undefined };
  const dir = await mkdtemp(join(tmpdir(), invokedFamily().tempDirPrefix));
  try {
    await runTool('mount', ['-o', 'ro', ...(part.fstype !== undefined ? ['-t', part.fstype] : []), part.path, dir]);
  } catch (err) {
    await rmdir(dir).catch(() => undefined);
    throw new ContextError(`mounting device ${part.path} on ${dir}`, err);
  }
  const release = async (): Promise<void> => {
    try {
      await runTool('umount', [dir]);
      await rmdir(dir);
    } catch (err) {
      warn(`umounting ${part.path}: ${layerMessage(err)}`);
    }
  };
  return { info: part, dir, ...range, release };
}

/** Regular files under `dir`, recursively, in name order. */
async function walkFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true }).catch(context(`reading directory ${dir}`));
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walkFiles(path)));
    else if (e.isFile()) out.push(path);
  }
  return out;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path, { highWaterMark: DECOMPRESS_CHUNK_SIZE }), hash);
  return hash.digest('hex');
}

/** FIEMAP extents as mappings, cut at the file's end so block tails come from the packed stream. */
function toMappings(
  extents: { logical: number; physical: number; length: number }[],
  size: number,
  object: Buffer,
  partSize: number,
): Mapping[] {
  const out: Mapping[] = [];
  for (const e of extents) {
    const length = Math.min(e.length, size - e.logical);
    if (length <= 0) continue;
    if (e.physical + length > partSize) throw new CliError(`extent at physical offset ${e.physical} is outside its partition`);
    out.push({ extent: { logical: e.logical, physical: e.physical, length }, object });
  }
  return out;
}

interface ObjectFile {
  path: string;
  size: number;
  checksum: Buffer;
}

/** The object files of the repository on root: regular `objects/XX/YYYY….file` with data. */
async function listObjects(repo: string): Promise<ObjectFile[]> {
  const objects = join(repo, 'objects');
  const out: ObjectFile[] = [];
  const dirs = (await readdir(objects, { withFileTypes: true }).catch(context(`reading directory ${objects}`)))
    .filter((d) => d.isDirectory() && /^[0-9a-f]{2}$/.test(d.name))
    .map((d) => d.name)
    .sort();
  for (const d of dirs) {
    const entries = (await readdir(join(objects, d), { withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => e.name)
      .sort();
    for (const name of entries) {
      const m = /^([0-9a-f]{62})\.file$/.exec(name);
      if (m === null) continue;
      const path = join(objects, d, name);
      const { size } = await stat(path);
      if (size === 0) continue;
      out.push({ path, size, checksum: Buffer.from(d + (m[1] as string), 'hex') });
    }
  }
  return out;
}

/** Steps 2: the table's partitions (boot and root), sorted by disk offset. */
async function scanPartitions(boot: MountedPartition, root: MountedPartition): Promise<OsmetPartition[]> {
  const repo = join(root.dir, 'ostree', 'repo');
  const objects = await listObjects(repo);
  const rootSize = root.end - root.start;
  const rootMappings: Mapping[] = [];
  const extents = await fiemapFiles(objects.map((o) => o.path));
  extents.forEach((f, i) => rootMappings.push(...toMappings(f.extents, f.size, (objects[i] as ObjectFile).checksum, rootSize)));

  // Boot files that are byte-identical to an object (the kernel and initramfs).
  const bootFiles: { path: string; size: number }[] = [];
  for (const path of await walkFiles(boot.dir)) {
    const { size } = await stat(path);
    if (size > BOOT_FILE_MIN_SIZE) bootFiles.push({ path, size });
  }
  const sizes = new Set(bootFiles.map((f) => f.size));
  const objectByHash = new Map<string, ObjectFile>();
  for (const o of objects) if (sizes.has(o.size)) objectByHash.set(`${o.size}:${await sha256File(o.path)}`, o);
  const matched: { path: string; object: ObjectFile }[] = [];
  for (const f of bootFiles) {
    const o = objectByHash.get(`${f.size}:${await sha256File(f.path)}`);
    if (o !== undefined) matched.push({ path: f.path, object: o });
  }
  const bootSize = boot.end - boot.start;
  const bootMappings: Mapping[] = [];
  const bootExtents = await fiemapFiles(matched.map((m) => m.path));
  bootExtents.forEach((f, i) =>
    bootMappings.push(...toMappings(f.extents, f.size, (matched[i] as { object: ObjectFile }).object.checksum, bootSize)),
  );
  info(`Mapped ${objects.length} objects on root and ${matched.length} files on boot`);

  const partitions: OsmetPartition[] = [
    { startOffset: boot.start, endOffset: boot.end, mappings: canonicalizeMappings(bootMappings) },
    { startOffset: root.start, endOffset: root.end, mappings: canonicalizeMappings(rootMappings) },
  ];
  partitions.sort((a, b) => a.startOffset - b.startOffset);
  if (partitions[0] !== undefined && partitions[1] !== undefined && partitions[0].endOffset > partitions[1].startOffset) {
    throw new CliError('boot and root partitions overlap');
  }
  return partitions;
}

/** Absolute [start, end) ranges of every mapped extent, in order. */
function mappedRanges(partitions: OsmetPartition[]): [number, number][] {
  const out: [number, number][] = [];
  for (const p of partitions) {
    for (const m of p.mappings) out.push([p.startOffset + m.extent.physical, p.startOffset + m.extent.physical + m.extent.length]);
  }
  return out;
}

/** Step 3: the disk's bytes outside the ranges, and the digest of all of them. */
async function* unmappedBytes(
  device: string,
  ranges: [number, number][],
  digest: (hex: string, size: number) => void,
): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  let total = 0;
  const handle = await open(device, 'r').catch(context(`opening ${device}`));
  try {
    let position = 0;
    let r = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(DECOMPRESS_CHUNK_SIZE);
      const bytesRead = await readFullyAt(handle, buf, position);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      hash.update(chunk);
      const end = position + bytesRead;
      let cur = position;
      while (cur < end) {
        const range = ranges[r];
        if (range === undefined || range[0] >= end) {
          yield chunk.subarray(cur - position);
          cur = end;
        } else if (range[0] > cur) {
          yield chunk.subarray(cur - position, range[0] - position);
          cur = range[0];
        } else {
          cur = Math.min(Math.max(cur, range[1]), end);
          if (range[1] <= end) r++;
        }
      }
      position = end;
    }
    total = position;
  } finally {
    await handle.close();
  }
  digest(hash.digest('hex'), total);
}

async function writePacked(opts: PackOptions, ranges: [number, number][], packed: AtomicFile): Promise<{ digest: string; size: number }> {
  const lz = await import('node-liblzma');
  let digest = '';
  let size = 0;
  const encoder = lz.createXz({ preset: opts.fast ? 0 : 9, check: lz.check.CRC64, chunkSize: DECOMPRESS_CHUNK_SIZE } as never);
  const source = unmappedBytes(opts.device, ranges, (hex, n) => {
    digest = hex;
    size = n;
  });
  await pipeline(source, encoder as unknown as Transform, handleSink(packed.handle)).catch(context('packing image'));
  return { digest, size };
}

async function verifyPacked(path: string, table: OsmetTable, repo: string): Promise<void> {
  const { openUnpackedImage } = await import('./unpack.js');
  const stream = await openUnpackedImage(path, { packedOffset: 0, table }, repo);
  // The unpacker checks size and checksum at its end.
  for await (const _ of stream) {
    // drain
  }
}

export async function packOsmet(opts: PackOptions): Promise<void> {
  const expected = opts.checksum.toLowerCase();
  const partitions = await listPartitions(opts.device);
  const boot = await mountByLabel(partitions, opts.device, 'boot');
  let root: MountedPartition | undefined;
  let packed: AtomicFile | undefined;
  let output: AtomicFile | undefined;
  try {
    root = await mountByLabel(partitions, opts.device, 'root');
    const parts = await scanPartitions(boot, root);

    info('Packing image');
    packed = await createAtomicFile(`${opts.output}.packed`, { noClobber: true });
    const { digest, size } = await writePacked(opts, mappedRanges(parts), packed);
    if (digest !== expected) throw new CliError(`expected checksum ${expected} but device has ${digest}`);
    const table: OsmetTable = { partitions: parts, checksum: Buffer.from(digest, 'hex'), size };

    info('Verifying that packed image matches digest');
    await verifyPacked(packed.tempPath, table, join(root.dir, 'ostree', 'repo')).catch(context('verifying packed image'));

    output = await createAtomicFile(opts.output, { noClobber: false, mode: 0o644 });
    const head = encodeTable(
      encodeHeader(new Encoder(), {
        appVersion: opts.appVersion,
        sectorSize: opts.sectorSize,
        osDescription: opts.description,
        osArchitecture: opts.architecture,
      }),
      table,
    ).finish();
    await output.handle.write(head, 0, head.length, 0);
    const copy = handleSink(output.handle, head.length);
    await pipeline(createReadStream(packed.tempPath, { highWaterMark: DECOMPRESS_CHUNK_SIZE }), copy).catch(
      context(`writing ${opts.output}`),
    );
    await output.handle.sync().catch(context(`syncing ${opts.output}`));
    await output.commit();
    info('Packing successful!');
  } finally {
    await output?.discard();
    await packed?.discard();
    await root?.release();
    await boot.release();
  }
}
