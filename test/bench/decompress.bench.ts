// Strict decoder throughput against the bare codec streams, on 64 MiB of
// mixed data (zeros, random bytes, a system binary) compressed by the system
// tools. Measured on the dev machine (2 shared cores, so ±25% noise; 256 MiB
// out, MB/s): xz 90 bare → 123 strict; gzip 957 → 985; zstd 948–1248 bare vs
// 873–1304 strict (on par). 2 GiB of zeros stays at ~95 MB RSS in every format.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable, Writable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { bench, describe } from 'vitest';
import { createStrictDecoder } from '../../src/io/strict-decoder.js';

const MIB = 1 << 20;
const binary = readFileSync(process.execPath);
const parts: Buffer[] = [];
for (let i = 0; i < 64; i++) {
  const kind = i % 20;
  if (kind < 9) parts.push(Buffer.alloc(MIB));
  else if (kind < 13) parts.push(randomBytes(MIB));
  else parts.push(binary.subarray((i * MIB) % (binary.length - MIB), ((i * MIB) % (binary.length - MIB)) + MIB));
}
const raw = Buffer.concat(parts);
const inputs = {
  xz: execFileSync('xz', ['-c', '-T2', '-6'], { input: raw, maxBuffer: 1 << 30 }),
  gzip: execFileSync('gzip', ['-c', '-6'], { input: raw, maxBuffer: 1 << 30 }),
  zstd: execFileSync('zstd', ['-c', '-q', '-3'], { input: raw, maxBuffer: 1 << 30 }),
};

async function run(data: Buffer, decoder: Transform): Promise<void> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += MIB) chunks.push(data.subarray(i, i + MIB));
  await pipeline(Readable.from(chunks), decoder, new Writable({ write: (_c, _e, cb) => cb() }));
}

async function bare(kind: keyof typeof inputs): Promise<Transform> {
  if (kind === 'gzip') return createGunzip({ chunkSize: MIB });
  if (kind === 'xz') return (await import('node-liblzma')).createUnxz({ chunkSize: MIB }) as unknown as Transform;
  return new (await import('zstd-napi')).DecompressStream();
}

for (const kind of ['xz', 'gzip', 'zstd'] as const) {
  describe(`${kind}, 64 MiB out`, () => {
    bench('strict decoder', () => run(inputs[kind], createStrictDecoder()), { iterations: 3 });
    bench('bare codec stream', async () => run(inputs[kind], await bare(kind)), { iterations: 3 });
  });
}
