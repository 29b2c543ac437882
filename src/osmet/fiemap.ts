// File extents (FIEMAP) through `filefrag -v -b1` from e2fsprogs.
//
// Node has no ioctl(), and FIEMAP needs one on an open file. filefrag issues
// exactly that ioctl (falling back to FIBMAP only where FIEMAP is missing),
// works on any filesystem with FIEMAP (ext4, xfs, btrfs, vfat), takes many
// files per run, and with `-b1` prints offsets and lengths in bytes, so no
// precision is lost. e2fsprogs is on every system that has mkfs.ext4. A native
// addon would need a compiler at install time for one ioctl.
//
// Extents whose flags make the physical offset meaningless are refused, as
// upstream does (OSMET.md "Packing").

import { execFile } from 'node:child_process';
import { CliError, ContextError } from '../util/errors.js';
import type { Extent } from './format.js';

/** filefrag's names for FIEMAP_EXTENT_* flags that make an extent unusable. */
const REFUSED_FLAGS = new Set(['unknown_loc', 'delalloc', 'encoded', 'encrypted', 'not_aligned', 'inline', 'tail_packed', 'unwritten']);

/** Files per filefrag run (argument list size stays small). */
const BATCH = 256;

export interface FileExtents {
  path: string;
  size: number;
  extents: Extent[];
}

const FILE_LINE = /^File size of (.*) is (\d+) \(/;
const EXTENT_LINE = /^\s*\d+:\s*(\d+)\.\.\s*(\d+):\s*(\d+)\.\.\s*(\d+):\s*(\d+):(.*)$/;

/** PURE: parse `filefrag -v -b1` output for the files given, in order. */
export function parseFilefrag(text: string, paths: string[]): FileExtents[] {
  const out: FileExtents[] = [];
  let current: FileExtents | undefined;
  for (const line of text.split('\n')) {
    const file = FILE_LINE.exec(line);
    if (file) {
      current = { path: file[1] as string, size: Number(file[2]), extents: [] };
      out.push(current);
      continue;
    }
    const ext = EXTENT_LINE.exec(line);
    if (ext === null || current === undefined) continue;
    const logical = Number(ext[1]);
    const physical = Number(ext[3]);
    const length = Number(ext[5]);
    // The rest: "[expected:] flags", e.g. "   1234:   last,eof" or "        last,eof".
    const rest = (ext[6] as string).trim().replace(/^\d+:\s*/, '');
    const flags = rest === '' ? [] : rest.split(',');
    const bad = flags.find((f) => REFUSED_FLAGS.has(f));
    if (bad !== undefined) throw new CliError(`extent of ${current.path} at offset ${logical} has unsupported flag ${bad}`);
    current.extents.push({ logical, physical, length });
  }
  if (out.length !== paths.length || out.some((f, i) => f.path !== paths[i])) {
    throw new Error(`unexpected filefrag output for ${paths.join(' ')}`);
  }
  return out;
}

function runFilefrag(paths: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('filefrag', ['-v', '-b1', '--', ...paths], { maxBuffer: 64 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) {
        const detail = stderr.trim() !== '' ? stderr.trim() : err.message;
        reject(new ContextError('running filefrag', new Error(detail)));
        return;
      }
      // filefrag reports per-file failures on stderr and may still exit 0.
      if (stderr.trim() !== '') {
        reject(new ContextError('running filefrag', new Error(stderr.trim())));
        return;
      }
      resolve(stdout);
    });
  });
}

/** Extents of every file, in the order given. */
export async function fiemapFiles(paths: string[]): Promise<FileExtents[]> {
  const out: FileExtents[] = [];
  for (let i = 0; i < paths.length; i += BATCH) {
    const batch = paths.slice(i, i + BATCH);
    out.push(...parseFilefrag(await runFilefrag(batch), batch));
  }
  return out;
}

export async function fiemapPath(path: string): Promise<Extent[]> {
  const [file] = await fiemapFiles([path]);
  return file?.extents ?? [];
}
