// Pristine fixture ISOs, decompressed once per test file into a temp dir,
// and copies of them for tests that mutate.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'node:fs/promises';
import { openIsoFs, type IsoFs } from '../../src/iso9660/iso-fs.js';
import { cacheRoot, fixture, runCacheDir } from '../helpers/tmp.js';

export { runCacheDir };

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

/** Path of the pristine decompressed fixture (never mutate it), decompressed once per run. */
export function pristineIso(name: IsoFixture): string {
  pristineDir ??= join(cacheRoot(), 'cache', 'pristine');
  const path = join(pristineDir, `${name}.iso`);
  if (!existsSync(path)) {
    mkdirSync(pristineDir, { recursive: true });
    // Workers share the cache: write a private file, then rename it into place.
    const part = `${path}.${process.pid}.part`;
    writeFileSync(part, execFileSync('xz', ['-dc', fixture('iso', `${name}.iso.xz`)], { maxBuffer: 64 << 20 }));
    renameSync(part, path);
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
