// Listing a disk's partitions (SPEC 3.8.1): lsblk --pairs, and blkid -p for
// labels and filesystem types when there is no udev. Pure parsers first,
// then the spawners.

import { readdir, realpath, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { haveUdev, runTool } from './device.js';
import { readMountinfo, readSwaps } from './mounts.js';

/** `KEY="value"` pairs of one lsblk/blkid line; empty values count as absent (escapes are kept). */
export function parsePairs(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of line.matchAll(/([A-Z-_]+)="([^"]+)"/g)) {
    if (m[1] !== undefined && m[2] !== undefined) out[m[1]] = m[2];
  }
  return out;
}

export function parseLsblkPairs(text: string): Record<string, string>[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(parsePairs);
}

/** `blkid -p` output: `NAME: KEY="v" …` per line. */
export function parseBlkid(text: string): { name: string; fields: Record<string, string> }[] {
  const out: { name: string; fields: Record<string, string> }[] = [];
  for (const line of text.split('\n')) {
    const colon = line.indexOf(': ');
    if (colon <= 0) continue;
    out.push({ name: line.slice(0, colon), fields: parsePairs(line.slice(colon + 2)) });
  }
  return out;
}

export interface PartitionInfo {
  path: string;
  label?: string;
  fstype?: string;
  uuid?: string;
  mountpoints: string[];
  swap: boolean;
  /** /dev/<holder> of each holder (device-mapper, md). */
  holders: string[];
}

async function blkidFields(path: string): Promise<Record<string, string>> {
  try {
    const [entry] = parseBlkid(await runTool('blkid', ['-p', path]));
    return entry?.fields ?? {};
  } catch {
    // blkid exits 2 when it finds nothing: no label, no filesystem.
    return {};
  }
}

/** "major:minor" of a device node (as in mountinfo). */
export async function deviceNumber(path: string): Promise<string | undefined> {
  try {
    const rdev = BigInt((await stat(path, { bigint: true })).rdev);
    const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
    const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
    return `${major}:${minor}`;
  } catch {
    return undefined;
  }
}

async function holders(path: string): Promise<string[]> {
  try {
    const kname = basename(await realpath(path));
    return (await readdir(`/sys/class/block/${kname}/holders`)).sort().map((h) => `/dev/${h}`);
  } catch {
    return [];
  }
}

/**
 * The partitions of `dev`, with label, fstype and use. Mountpoints come
 * from /proc/self/mountinfo and swap from /proc/swaps (both reliable
 * without udev); labels from lsblk, or blkid -p when udev is absent.
 */
export async function listPartitions(dev: string): Promise<PartitionInfo[]> {
  const out = await runTool('lsblk', ['--pairs', '--paths', '--output', 'NAME,LABEL,FSTYPE,TYPE,MOUNTPOINT,UUID', dev]);
  const rows = parseLsblkPairs(out).filter((r) => r['TYPE'] === 'part' && r['NAME'] !== undefined);
  const udev = haveUdev();
  const mounts = await readMountinfo();
  const swaps = await readSwaps();
  const result: PartitionInfo[] = [];
  for (const row of rows) {
    const path = row['NAME'] as string;
    const meta = udev ? { LABEL: row['LABEL'], TYPE: row['FSTYPE'], UUID: row['UUID'] } : await blkidFields(path);
    const number = await deviceNumber(path);
    const real = await realpath(path).catch(() => path);
    const info: PartitionInfo = {
      path,
      mountpoints: mounts.filter((m) => m.devno === number).map((m) => m.mountPoint),
      swap: swaps.includes(path) || swaps.includes(real) || row['MOUNTPOINT'] === '[SWAP]',
      holders: await holders(path),
    };
    if (meta.LABEL !== undefined) info.label = meta.LABEL;
    if (meta.TYPE !== undefined) info.fstype = meta.TYPE;
    if (meta.UUID !== undefined) info.uuid = meta.UUID;
    result.push(info);
  }
  return result;
}
