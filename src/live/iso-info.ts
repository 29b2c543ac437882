// What `dev show iso` reports (SPEC 4.15): descriptors and walk, or the
// parameters of the embed areas, as plain objects in upstream key order.

import type { IsoFs } from '../iso9660/iso-fs.js';
import type { VolumeDescriptor } from '../iso9660/volume.js';
import type { AreaLocation, KargAreas } from './embed-areas.js';

export interface IsoLayoutInfo {
  header: { descriptors: VolumeDescriptor[] };
  records: string[];
}

export async function describeIsoLayout(iso: IsoFs): Promise<IsoLayoutInfo> {
  const records: string[] = [];
  for await (const entry of iso.walk()) records.push(entry.path);
  return { header: { descriptors: iso.descriptors }, records };
}

export function describeInitrdArea(area: AreaLocation): { offset: number; length: number } {
  return { offset: area.offset, length: area.length };
}

export interface KargsAreaInfo {
  length: number;
  default: string;
  kargs: { offset: number; length: number; pad?: string; end?: string }[];
}

export function describeKargAreas(areas: KargAreas | undefined): KargsAreaInfo | null {
  if (areas === undefined) return null;
  return {
    length: areas.length,
    default: areas.default,
    kargs: areas.regions.map((r) => ({
      offset: r.offset,
      length: r.length,
      ...(r.padGiven !== undefined ? { pad: r.padGiven } : {}),
      ...(r.endGiven !== undefined ? { end: r.endGiven } : {}),
    })),
  };
}

/** Pretty JSON as serde_json prints it (2-space indent) plus a newline. */
export function prettyJson(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}
