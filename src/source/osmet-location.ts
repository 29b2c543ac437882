// The osmet image location (SPEC 2.5, 3.3.1; OSMET.md "Where osmet files are
// found"): an osmet file on the live system plus its OSTree repository. The
// image is rebuilt as it is read; no signature (trusted live media).

import { readdir } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { invokedFamily } from '../util/family.js';
import { compareUtf8 } from '../util/bytes.js';
import { ContextError, context, hasErrorCode } from '../util/errors.js';
import type { OsmetHeader } from '../osmet/format.js';
import type { ImageLocation, ImageSource } from './location.js';

/** The live system's repository (NESTOS.md: the same for both families). */
export const LIVE_OSTREE_REPO = '/sysroot/ostree/repo';

/** The osmet directory: `NESTOS_INSTALLER_OSMET_DIR` (tests), else the family's. */
export function osmetDir(): string {
  const env = process.env['NESTOS_INSTALLER_OSMET_DIR'];
  return env !== undefined && env !== '' ? env : invokedFamily().osmetDir;
}

/** The OSTree repository: `NESTOS_INSTALLER_OSTREE_REPO` (tests), else the live system's. */
export function ostreeRepo(): string {
  const env = process.env['NESTOS_INSTALLER_OSTREE_REPO'];
  return env !== undefined && env !== '' ? env : LIVE_OSTREE_REPO;
}

export interface OsmetMatch {
  path: string;
  header: OsmetHeader;
}

/**
 * The first regular file directly inside `dir` (name order) whose header
 * matches the architecture and sector size; undefined when the directory does
 * not exist or nothing matches. An unreadable header is an error, as upstream.
 */
export async function findOsmet(dir: string, architecture: string, sectorSize: number): Promise<OsmetMatch | undefined> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (hasErrorCode(err, 'ENOENT')) return undefined;
    throw new ContextError(`reading directory ${dir}`, err);
  }
  const files = entries.filter((e) => e.isFile()).map((e) => e.name);
  files.sort(compareUtf8);
  const { readOsmetHeader } = await import('../osmet/file.js');
  for (const name of files) {
    const path = join(dir, name);
    const header = await readOsmetHeader(path).catch(context(`reading osmet file header ${path}`));
    if (header.osArchitecture === architecture && header.sectorSize === sectorSize) return { path, header };
  }
  return undefined;
}

export class OsmetLocation implements ImageLocation {
  constructor(
    private readonly match: OsmetMatch,
    private readonly repo: string,
  ) {}

  describe(): string {
    const h = this.match.header;
    return `Installing ${h.osDescription} ${h.osArchitecture} (${h.sectorSize}-byte sectors)`;
  }

  requiresSignature(): boolean {
    return false;
  }

  async sources(): Promise<ImageSource[]> {
    const [{ readOsmetContents }, { openUnpackedImage }] = await Promise.all([import('../osmet/file.js'), import('../osmet/unpack.js')]);
    const path = this.match.path;
    const contents = await readOsmetContents(path).catch(context(`reading osmet file ${path}`));
    const stream = await openUnpackedImage(path, contents, this.repo);
    return [
      {
        stream,
        lengthHint: contents.table.size,
        filename: `${basename(path, extname(path))}.raw`,
        artifactType: 'disk',
      },
    ];
  }
}
