// PURE: ISO 9660 volume descriptors (SPEC 4.1.1).

import { withContextSync } from '../util/errors.js';
import { ISO_BLOCK_SIZE, parseAString, parseRootRecord, type IsoDirectory } from './directory.js';

/** Byte offset of the first volume descriptor (block 16). */
export const DESCRIPTORS_OFFSET = 16 * ISO_BLOCK_SIZE;

export const DESCRIPTOR_TERMINATOR = 255;

export interface PrimaryDescriptor {
  type: 'primary';
  system_id: string;
  volume_id: string;
  volume_space_size: number;
  root: { name: string; address: number; length: number };
}

export interface BootDescriptor {
  type: 'boot';
  boot_system_id: string;
  boot_id: string;
}

export type VolumeDescriptor = PrimaryDescriptor | BootDescriptor | { type: 'supplementary' } | { type: 'unknown'; type_id: number };

const STANDARD_ID = Buffer.from('CD001');

/** Whether a volume descriptor's first bytes carry the standard identifier "CD001". */
export function hasStandardId(descriptor: Buffer): boolean {
  return descriptor.subarray(1, 6).equals(STANDARD_ID);
}

function checkHeader(buf: Buffer): void {
  const id = buf.subarray(1, 6);
  if (!hasStandardId(buf)) throw new Error(`unknown descriptor ID: [${[...id].join(', ')}]`);
  const version = buf[6] ?? 0;
  if (version !== 1) throw new Error(`unknown descriptor version: ${version}`);
}

/** Parse one 2048-byte descriptor (not the terminator). */
export function parseDescriptor(buf: Buffer): VolumeDescriptor {
  const type = buf[0] ?? 0;
  switch (type) {
    case 0:
      return withContextSync('parsing boot descriptor', () => {
        checkHeader(buf);
        return {
          type: 'boot',
          boot_system_id: parseAString(buf.subarray(7, 39)),
          boot_id: parseAString(buf.subarray(39, 71)),
        };
      });
    case 1:
      return withContextSync('parsing primary descriptor', () => {
        checkHeader(buf);
        const system_id = parseAString(buf.subarray(8, 40));
        const volume_id = parseAString(buf.subarray(40, 72));
        const volume_space_size = buf.readUInt32LE(80);
        const root: IsoDirectory = withContextSync('failed to parse root directory record from primary descriptor', () =>
          parseRootRecord(buf.subarray(156, 190)),
        );
        return {
          type: 'primary',
          system_id,
          volume_id,
          volume_space_size,
          root: { name: root.name, address: root.address, length: root.length },
        };
      });
    case 2:
      return { type: 'supplementary' };
    default:
      return { type: 'unknown', type_id: type };
  }
}
