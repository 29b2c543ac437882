// In-place Ignition embed on a 1 GiB live ISO vs a 1 MiB one: only the embed
// area is rewritten, so the cost must not depend on the image size. The big
// image is the 2023-07 x86_64 fixture extended to 1 GiB with truncate (sparse;
// ISO 9660 allows trailing space after the volume). A third case runs the
// built CLI end to end on the big image.

import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bench, describe } from 'vitest';
import { openLiveIso, writeLiveIso } from '../../src/live/live-output.js';
import { CLI } from '../helpers/cli.js';
import { fixture, tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('nestos-iso-bench-');
const small = join(dir, 'small.iso');
const big = join(dir, 'big.iso');
writeFileSync(small, execFileSync('xz', ['-dc', fixture('iso', 'embed-areas-2023-07.x86_64.iso.xz')]));
copyFileSync(small, big);
truncateSync(big, 2 ** 30);
const configFile = join(dir, 'config.ign');
const CONFIG = Buffer.from('{"ignition":{"version":"3.3.0"},"passwd":{"users":[{"name":"nest"}]}}\n');
writeFileSync(configFile, CONFIG);

async function embedInPlace(path: string): Promise<void> {
  const live = await openLiveIso(path, { writable: true });
  try {
    live.config.setIgnition(CONFIG);
    await writeLiveIso(live, await live.config.toRegions(), { kind: 'in-place' });
  } finally {
    await live.close();
  }
}

describe('in-place iso ignition embed', () => {
  bench('1 MiB ISO', () => embedInPlace(small), { time: 2000 });
  bench('1 GiB ISO (sparse)', () => embedInPlace(big), { time: 2000 });
  bench(
    '1 GiB ISO, CLI end to end (embed -f)',
    () => {
      const r = spawnSync(process.execPath, [CLI, 'iso', 'ignition', 'embed', '-f', '-i', configFile, big]);
      if (r.status !== 0) throw new Error(r.stderr.toString());
    },
    { time: 3000 },
  );
});
