// An initrd as a map of regular files (path → bytes), read from kernel-style
// concatenated archives and written as one newc archive compressed with xz
// (CRC32) (SPEC 4.5). Pure: no file or stdio access.

import { compareUtf8, sortUtf8 } from '../util/bytes.js';
import { CliError, withContext } from '../util/errors.js';
import type { GlobPattern } from '../util/glob.js';
import { sniffCompression } from '../io/compression.js';
import { DecodedTooLargeError, decodeMember, xzCompress } from '../io/codecs.js';
import { readNewcArchive, writeNewc } from './newc.js';

/**
 * What a config initrd (pxe unwrap) or an ISO embed area may decode to: far
 * more than any Ignition config or keyfile set, far less than a bomb wants.
 */
export const MAX_CONFIG_DECODED = 256 * 1024 * 1024;

/** Default bound on what one initrd may decode to. */
export const MAX_DECODED = 2 ** 31;

export class Initrd {
  private readonly members: Map<string, Buffer>;

  constructor(members?: Map<string, Buffer>) {
    this.members = new Map(members);
  }

  /**
   * Parse concatenated archives, each uncompressed or gzip/xz/zstd compressed,
   * with zero padding between them. Regular files matching `filter` (default
   * all) are kept; a later entry with the same name wins. Compressed members
   * may decode to `maxDecoded` bytes in all (config initrds and embed areas
   * pass a small bound: a decompression bomb fails instead of exhausting memory).
   */
  static async fromBuffer(data: Buffer, filter?: GlobPattern, maxDecoded = MAX_DECODED): Promise<Initrd> {
    const initrd = new Initrd();
    const keep = (name: string): boolean => filter === undefined || filter.matches(name);
    const onFile = (e: { name: string; data: Buffer }): void => {
      initrd.members.set(e.name, e.data);
    };
    let pos = 0;
    let decoded = 0;
    while (pos < data.length) {
      const kind = sniffCompression(data.subarray(pos, pos + 6));
      if (kind === 'none') {
        pos = readNewcArchive(data, pos, keep, onFile);
      } else {
        // The bound covers all members together: many small bombs are one big one.
        const member = await withContext('reading CPIO entry', () =>
          decodeMember(data, pos, maxDecoded - decoded).catch((err: unknown) => {
            throw err instanceof DecodedTooLargeError ? new DecodedTooLargeError(maxDecoded) : err;
          }),
        );
        decoded += member.decoded.length;
        const end = readNewcArchive(member.decoded, 0, keep, onFile);
        if (member.decoded.subarray(end).some((b) => b !== 0)) {
          throw new CliError('found trailing garbage inside compressed archive');
        }
        pos += member.consumed;
      }
      while (pos < data.length && data[pos] === 0) pos++;
    }
    return initrd;
  }

  get(name: string): Buffer | undefined {
    return this.members.get(name);
  }

  set(name: string, data: Buffer): void {
    this.members.set(name, data);
  }

  delete(name: string): boolean {
    return this.members.delete(name);
  }

  has(name: string): boolean {
    return this.members.has(name);
  }

  /** Member paths in UTF-8 byte order (SPEC 10.5). */
  names(): string[] {
    return sortUtf8(this.members.keys());
  }

  /** Sorted member paths matching the filter. */
  find(filter: GlobPattern): string[] {
    return this.names().filter((n) => filter.matches(n));
  }

  get size(): number {
    return this.members.size;
  }

  /** The newc bytes of SPEC 4.5.1. */
  toCpio(): Buffer {
    const paths = [...this.members.keys()].sort(compareUtf8);
    return writeNewc(paths, (p) => this.members.get(p) ?? Buffer.alloc(0));
  }

  /** xz (preset 9, CRC32) of toCpio(): what the kernel and upstream expect. */
  async toXz(): Promise<Buffer> {
    return xzCompress(this.toCpio());
  }
}
