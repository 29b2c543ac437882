// Osmet test material without root: a synthetic disk image whose mapped
// extents hold the bytes of object files in an OSTree-style repository, and
// the independent Python reference codec (test/helpers/osmet_ref.py).

import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './tmp.js';

export const REFERENCE = join(ROOT, 'test', 'helpers', 'osmet_ref.py');

export interface RefMapping {
  logical: number;
  physical: number;
  length: number;
  object: string;
}

export interface RefSpec {
  app_version: string;
  sector_size: number;
  description: string;
  architecture: string;
  fast?: boolean;
  partitions: { start: number; end: number; mappings: RefMapping[] }[];
}

export interface SyntheticImage {
  image: string;
  repo: string;
  spec: RefSpec;
  sha256: string;
}

/** Write an object file into `repo`; returns its (made-up) checksum. */
export function addObject(repo: string, data: Buffer): string {
  const checksum = createHash('sha256').update('object').update(data).digest('hex');
  const dir = join(repo, 'objects', checksum.slice(0, 2));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${checksum.slice(2)}.file`), data);
  return checksum;
}

/**
 * A 4 MiB image with two partitions: one maps an object twice (as boot maps
 * its kernel), the other maps three objects, one of them fragmented and one
 * whose last block runs past the end of the file (zeros on disk).
 */
export function buildSyntheticImage(dir: string, description = 'NestOS 22.03 (test)', architecture = 'x86_64'): SyntheticImage {
  const repo = join(dir, 'repo');
  mkdirSync(join(repo, 'objects'), { recursive: true });
  const image = Buffer.alloc(4 << 20);
  // Non-zero filler everywhere, compressible like filesystem metadata.
  for (let i = 0; i < image.length; i += 4096) image.fill(i % 251, i, i + 512);
  const kernel = randomBytes(64 * 1024);
  const a = randomBytes(200_000);
  const b = randomBytes(300 * 1024);
  const c = randomBytes(10_000); // 3 blocks of 4096 on disk: 2288 zeros after it
  const ko = addObject(repo, kernel);
  const ao = addObject(repo, a);
  const bo = addObject(repo, b);
  const co = addObject(repo, c);
  const p1 = { start: 1 << 20, end: 2 << 20 };
  const p2 = { start: 2 << 20, end: (4 << 20) - 16384 };
  kernel.copy(image, p1.start + 4096);
  a.copy(image, p2.start + 8192);
  image.fill(0, p2.start + 8192 + a.length, p2.start + 8192 + 200_704);
  b.copy(image, p2.start + 512 * 1024, 0, 100 * 1024);
  b.copy(image, p2.start + 256 * 1024, 100 * 1024);
  c.copy(image, p2.start + 1024 * 1024);
  image.fill(0, p2.start + 1024 * 1024 + c.length, p2.start + 1024 * 1024 + 12288);
  const spec: RefSpec = {
    app_version: '0.20.0',
    sector_size: 512,
    description,
    architecture,
    fast: true,
    partitions: [
      { ...p1, mappings: [{ logical: 0, physical: 4096, length: kernel.length, object: ko }] },
      {
        ...p2,
        mappings: [
          { logical: 0, physical: 8192, length: 200_704, object: ao },
          { logical: 100 * 1024, physical: 256 * 1024, length: 200 * 1024, object: bo },
          { logical: 0, physical: 512 * 1024, length: 100 * 1024, object: bo },
          { logical: 0, physical: 1024 * 1024, length: 12288, object: co },
        ],
      },
    ],
  };
  const path = join(dir, 'image.raw');
  writeFileSync(path, image);
  return { image: path, repo, spec, sha256: createHash('sha256').update(image).digest('hex') };
}

export function refEncode(spec: RefSpec, image: string, out: string): void {
  const specPath = `${image}.spec.json`;
  writeFileSync(specPath, JSON.stringify(spec));
  execFileSync('python3', [REFERENCE, 'encode', specPath, image, out], { stdio: ['ignore', 'ignore', 'pipe'] });
}

export interface RefDecoded {
  header: { version: number; app_version: string; sector_size: number; description: string; architecture: string };
  partitions: { start: number; end: number; mappings: RefMapping[] }[];
  checksum: string;
  size: number;
}

export function refDecode(osmet: string, repo: string, out: string): RefDecoded {
  const json = execFileSync('python3', [REFERENCE, 'decode', osmet, repo, out], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 << 20,
  });
  return JSON.parse(json) as RefDecoded;
}
