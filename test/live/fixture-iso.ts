// Pristine fixture ISOs, decompressed once per test file into a temp dir,
// and copies of them for tests that mutate.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'node:fs/promises';
import { openIsoFs, type IsoFs } from '../../src/iso9660/iso-fs.js';
import { fixture } from '../helpers/tmp.js';

export const ISO_FIXTURES = [
  'embed-areas-2020-09',
  'embed-areas-2021-01',
  'embed-areas-2021-09',
  'embed-areas-2021-12',
  'embed-areas-2022-02',
  'embed-areas-2022-09',
  'embed-areas-2023-03.s390x',
  'embed-areas-2023-03.x86_64',
  'embed-areas-2023-07.s390x',
  'embed-areas-2023-07.x86_64',
] as const;

export type IsoFixture = (typeof ISO_FIXTURES)[number] | 'synthetic';

/** Fixtures with karg areas (SPEC 7.1). */
export const KARG_FIXTURES = ISO_FIXTURES.filter((f) => f !== 'embed-areas-2020-09' && f !== 'embed-areas-2023-03.s390x');

/** Fixtures whose features.json has live-initrd-network. */
export const NETWORK_FIXTURES = ISO_FIXTURES.filter((f) => f >= 'embed-areas-2021-12');

let pristineDir: string | undefined;

/**
 * A directory for the whole test file (caches shared across describes; tmpDir()
 * would be removed when the first describe that called it ends).
 */
export function fileScopedDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Path of the pristine decompressed fixture (never mutate it). */
export function pristineIso(name: IsoFixture): string {
  pristineDir ??= fileScopedDir('nestos-iso-pristine-');
  const path = join(pristineDir, `${name}.iso`);
  if (!existsSync(path)) {
    writeFileSync(path, execFileSync('xz', ['-dc', fixture('iso', `${name}.iso.xz`)], { maxBuffer: 64 << 20 }));
  }
  return path;
}

/** A fresh writable copy of a fixture in `dir`. */
export function isoCopy(name: IsoFixture, dir: string, as = `${name}.iso`): string {
  const dest = join(dir, as);
  copyFileSync(pristineIso(name), dest);
  return dest;
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256')
    .update(typeof data === 'string' ? readFileSync(data) : data)
    .digest('hex');
}

export function golden(name: string): string {
  return readFileSync(fixture('golden', name), 'utf8');
}

/** Run `fn` on the ISO 9660 reader of `path`, closing the file afterwards. */
export async function withIso<T>(path: string, fn: (iso: IsoFs) => Promise<T>): Promise<T> {
  const handle = await open(path, 'r');
  try {
    return await fn(await openIsoFs(handle));
  } finally {
    await handle.close();
  }
}
