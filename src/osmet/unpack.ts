// Rebuilding an image from an osmet file and an OSTree repository
// (OSMET.md "Unpacking"), as a byte stream:
//
//   osmet file (from the packed offset) → strict xz decoder → Unpacker → image bytes
//
// The packed stream is the image with every mapped extent left out, so the
// unpacker copies packed bytes until the next mapping's absolute offset
// (partition start + physical), then that many bytes of the object file (zeros
// past its end: FIEMAP lengths are whole blocks), and so on; after the last
// mapping, the rest of the packed stream. It hashes what it emits and fails at
// the end unless the image has exactly `size` bytes and the table's SHA-256,
// so a consumer that commits only after the stream ended (write-image's first
// MiB) never commits a wrong image.

import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline, type Readable } from 'node:stream';
import { AsyncTransform } from '../io/async-transform.js';
import { readFullyAt } from '../io/file-io.js';
import { DECOMPRESS_CHUNK_SIZE } from '../util/constants.js';
import { CliError, context } from '../util/errors.js';
import { objectPath, type OsmetTable } from './format.js';

interface Step {
  /** Absolute image offset of the mapped bytes. */
  offset: number;
  length: number;
  logical: number;
  object: Buffer;
}

/** The mappings of every partition as absolute offsets, checked to be in disk order. */
export function unpackSteps(table: OsmetTable): Step[] {
  const steps: Step[] = [];
  let cursor = 0;
  for (const p of table.partitions) {
    if (p.startOffset < cursor) throw new CliError(`osmet partition at offset ${p.startOffset} overlaps the previous one`);
    cursor = p.startOffset;
    for (const m of p.mappings) {
      const offset = p.startOffset + m.extent.physical;
      if (offset < cursor) throw new CliError(`osmet mapping at offset ${offset} overlaps the previous one`);
      steps.push({ offset, length: m.extent.length, logical: m.extent.logical, object: m.object });
      cursor = offset + m.extent.length;
    }
    if (cursor > p.endOffset) throw new CliError(`osmet mapping ends at offset ${cursor}, past its partition's end ${p.endOffset}`);
    cursor = p.endOffset;
  }
  if (cursor > table.size) throw new CliError(`osmet partitions end at offset ${cursor}, past the image size ${table.size}`);
  return steps;
}

class Unpacker extends AsyncTransform {
  private readonly steps: Step[];
  private next = 0;
  private position = 0;
  private readonly hash: Hash = createHash('sha256');
  private object: { hex: string; handle: FileHandle } | undefined;

  constructor(
    private readonly table: OsmetTable,
    private readonly repo: string,
  ) {
    super(4 * DECOMPRESS_CHUNK_SIZE);
    this.steps = unpackSteps(table);
  }

  protected override release(): Promise<void> {
    return this.closeObject();
  }

  private async output(buf: Buffer): Promise<void> {
    this.hash.update(buf);
    this.position += buf.length;
    await this.pass(buf);
  }

  protected async consume(chunk: Buffer): Promise<void> {
    let off = 0;
    for (;;) {
      await this.mappedHere();
      if (off >= chunk.length) return;
      const step = this.steps[this.next];
      const take = step === undefined ? chunk.length - off : Math.min(step.offset - this.position, chunk.length - off);
      // A piece of a chunk is copied: downstream recycles every buffer it receives whole
      // (io/chunk-pool.ts), which must not happen to a chunk whose other piece is still queued.
      await this.output(take === chunk.length ? chunk : Buffer.from(chunk.subarray(off, off + take)));
      off += take;
    }
  }

  /** Emit every mapping that starts at the current position. */
  private async mappedHere(): Promise<void> {
    for (let step = this.steps[this.next]; step !== undefined && step.offset === this.position; step = this.steps[this.next]) {
      this.next++;
      await this.copyObject(step);
    }
  }

  private async closeObject(): Promise<void> {
    const o = this.object;
    this.object = undefined;
    await o?.handle.close();
  }

  private async copyObject(step: Step): Promise<void> {
    const hex = step.object.toString('hex');
    if (this.object?.hex !== hex) {
      await this.closeObject();
      const path = join(this.repo, objectPath(step.object));
      const handle = await open(path, 'r').catch(context(`opening ${path}`));
      this.object = { hex, handle };
    }
    const { handle } = this.object as { handle: FileHandle };
    let done = 0;
    while (done < step.length) {
      const buf = Buffer.allocUnsafe(Math.min(DECOMPRESS_CHUNK_SIZE, step.length - done));
      const filled = await readFullyAt(handle, buf, step.logical + done);
      // FIEMAP lengths are whole blocks: past the end of the file, zeros.
      buf.fill(0, filled);
      await this.output(buf);
      done += buf.length;
    }
  }

  protected async finish(): Promise<void> {
    await this.mappedHere();
    await this.closeObject();
    if (this.next < this.steps.length) {
      throw new CliError(`packed image ended at offset ${this.position}, before the mapping at offset ${this.steps[this.next]?.offset}`);
    }
    if (this.position !== this.table.size) {
      throw new CliError(`unpacked image has ${this.position} bytes; osmet file expects ${this.table.size}`);
    }
    const digest = this.hash.digest();
    if (!digest.equals(this.table.checksum)) {
      throw new CliError(`unpacked image checksum ${digest.toString('hex')} doesn't match expected ${this.table.checksum.toString('hex')}`);
    }
  }
}

/**
 * The image bytes rebuilt from an osmet file (contents already read) and the
 * repository; the stream errors if anything is missing or does not match.
 */
export async function openUnpackedImage(
  path: string,
  contents: { packedOffset: number; table: OsmetTable },
  repo: string,
): Promise<Readable> {
  const { createStrictDecoder } = await import('../io/strict-decoder.js');
  const packed = createReadStream(path, { start: contents.packedOffset, highWaterMark: DECOMPRESS_CHUNK_SIZE });
  const unpacker = new Unpacker(contents.table, repo);
  return pipeline(packed, createStrictDecoder(), unpacker, (err) => {
    if (err) unpacker.destroy(err);
  });
}
