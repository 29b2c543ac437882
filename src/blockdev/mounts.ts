// PURE parsers of /proc/self/mountinfo and /proc/swaps, plus the thin
// readers beside them (busy-partition detection, SPEC 3.4).

import { readFile } from 'node:fs/promises';

export interface MountInfo {
  /** "major:minor" of the mounted device. */
  devno: string;
  mountPoint: string;
  source: string;
  fstype: string;
}

/** Undo mountinfo's octal escapes (\040 for a space). */
export function unescapeMountField(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Parse mountinfo lines: `id parent maj:min root mountpoint opts [tags…] - fstype source superopts`. */
export function parseMountinfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const fields = line.split(' ');
    const dash = fields.indexOf('-', 6);
    if (fields.length < 7 || dash < 0) continue;
    out.push({
      devno: fields[2] ?? '',
      mountPoint: unescapeMountField(fields[4] ?? ''),
      fstype: unescapeMountField(fields[dash + 1] ?? ''),
      source: unescapeMountField(fields[dash + 2] ?? ''),
    });
  }
  return out;
}

/** Device paths of active swap areas from /proc/swaps (header line skipped). */
export function parseSwaps(text: string): string[] {
  return text
    .split('\n')
    .slice(1)
    .map((l) => unescapeMountField(l.split(/\s+/)[0] ?? ''))
    .filter((p) => p !== '');
}

export async function readMountinfo(): Promise<MountInfo[]> {
  return parseMountinfo(await readFile('/proc/self/mountinfo', 'utf8'));
}

export async function readSwaps(): Promise<string[]> {
  try {
    return parseSwaps(await readFile('/proc/swaps', 'utf8'));
  } catch {
    return [];
  }
}
