// download of a multi-GB image from a local HTTP server: throughput and the
// CLI's peak RSS (memory must stay flat whatever the size). The image is a
// sparse file of zeros signed by a gpg key made here; the size is
// NESTOS_BENCH_DOWNLOAD_GIB (default 2).

import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { makeGpgKey, type GpgKey } from '../helpers/gpg.js';
import { serveDir, type ServedDir } from '../helpers/http-server.js';
import { tmpDir } from '../helpers/tmp.js';

const GIB = Number(process.env['NESTOS_BENCH_DOWNLOAD_GIB'] ?? 2);
const SIZE = GIB * 2 ** 30;
const dir = tmpDir('nestos-bench-');
const srv = join(dir, 'srv');
const RSS_HOOK = join(dir, 'rss.cjs');
let server: ServedDir;
let key: GpgKey;
let run = 0;

beforeAll(async () => {
  mkdirSync(srv);
  const image = join(srv, 'big.raw');
  writeFileSync(image, '');
  truncateSync(image, SIZE);
  key = makeGpgKey(dir);
  key.sign(image);
  // Reports the child's peak RSS (KiB) on exit.
  writeFileSync(RSS_HOOK, "process.on('exit', () => require('fs').writeSync(2, `peak-rss-kib ${process.resourceUsage().maxRSS}\\n`));\n");
  server = await serveDir(srv);
}, 600_000);
afterAll(async () => {
  await server?.close();
  key?.close();
});

function download(extra: string[] = []): Promise<void> {
  const out = join(dir, `out-${run++}`);
  mkdirSync(out);
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(
      process.execPath,
      [CLI, 'download', '-u', `${server.url}big.raw`, '-C', out, '--signing-key', key.publicKeyFile, ...extra],
      { env: { ...process.env, NODE_OPTIONS: `--require ${RSS_HOOK}` }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (status) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      rmSync(out, { recursive: true, force: true });
      if (status !== 0) return reject(new Error(`download failed:\n${stderr}`));
      const rss = /peak-rss-kib (\d+)/.exec(stderr)?.[1];
      console.log(
        `download ${GIB} GiB (verified, written): ${seconds.toFixed(1)} s, ` +
          `${(SIZE / 2 ** 20 / seconds).toFixed(0)} MiB/s, peak RSS ${(Number(rss) / 1024).toFixed(0)} MiB`,
      );
      resolve();
    });
  });
}

describe('download', () => {
  bench(`${GIB} GiB over HTTP with OpenPGP verification`, () => download(), {
    iterations: 1,
    time: 0,
    warmupIterations: 0,
    warmupTime: 0,
  });
});
