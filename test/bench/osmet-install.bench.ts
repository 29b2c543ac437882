// install from osmet (offline: osmet file + OSTree repository) against
// `install -f` of the same image as .raw.xz, onto a disk-image file (E8).
// The disk: NESTOS_BENCH_OSMET_MIB MiB (default 1024) with 60% of it in OSTree
// objects (random, incompressible), the rest zeros and filesystem metadata;
// the .raw.xz is `xz -T2 -1` (multi-block; on random data -6 only costs
// build time: its blocks are stored uncompressed either way).
// Both runs skip signatures (osmet has none; `-f` gets --insecure). Rounds
// alternate with the page cache dropped; prints each run, the medians and
// the ratio (target: osmet within 1.2x). Needs root (loop device, mounts).

import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, bench, describe } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { buildNestosDisk } from '../helpers/nestos-disk.js';

const MIB = Number(process.env['NESTOS_BENCH_OSMET_MIB'] ?? 1024);
const ROUNDS = Number(process.env['NESTOS_BENCH_OSMET_ROUNDS'] ?? 3);
const isRoot = process.getuid?.() === 0;
const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const cleanup: (() => void)[] = [];
afterAll(() => {
  for (const f of cleanup.reverse()) {
    try {
      f();
    } catch {
      // best effort
    }
  }
});

function timed(args: string[], env: Record<string, string> = {}): Promise<number> {
  sh('sync', []);
  writeFileSync('/proc/sys/vm/drop_caches', '3');
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (status) => (status === 0 ? resolve(Number(process.hrtime.bigint() - started) / 1e9) : reject(new Error(stderr))));
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

async function run(): Promise<void> {
  if (!isRoot) {
    console.log('osmet install bench skipped: needs root (loop device and mounts)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'nestos-bench-osmet-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const disk = await buildNestosDisk(dir, Math.floor(MIB * 0.6), MIB);
  execFileSync('xz', ['-T2', '-1', '-k', disk.raw]);
  const loop = sh('losetup', ['-f', '--show', '-P', disk.raw]).trim();
  cleanup.push(() => sh('losetup', ['-d', loop]));
  sh('partx', ['-u', loop]);
  const osmetDir = join(dir, 'osmet');
  mkdirSync(osmetDir);
  const pack = ['pack', 'osmet', '--output', join(osmetDir, 'nestos.osmet'), '--checksum', disk.sha256, '--description', 'bench', loop];
  const packSeconds = await timed(pack);
  const mnt = join(dir, 'root');
  mkdirSync(mnt);
  sh('mount', ['-o', 'ro', `${loop}p4`, mnt]);
  cleanup.push(() => sh('umount', [mnt]));
  const env = { NESTOS_INSTALLER_OSMET_DIR: osmetDir, NESTOS_INSTALLER_OSTREE_REPO: join(mnt, 'ostree', 'repo') };
  const target = join(dir, 'target.img');
  execFileSync('truncate', ['-s', String((MIB + 64) << 20), target]);
  const arch = sh('uname', ['-m']).trim();
  const osmet: number[] = [];
  const xz: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    xz.push(await timed(['install', '--insecure', '-f', `${disk.raw}.xz`, target]));
    osmet.push(await timed(['install', '--architecture', arch, target], env));
    console.log(`round ${i + 1}: install -f .raw.xz ${xz[i]?.toFixed(2)} s, install from osmet ${osmet[i]?.toFixed(2)} s`);
  }
  const ratio = median(osmet) / median(xz);
  console.log(
    `${MIB} MiB image: pack osmet ${packSeconds.toFixed(1)} s; medians over ${ROUNDS} rounds: ` +
      `install -f .raw.xz ${median(xz).toFixed(2)} s, from osmet ${median(osmet).toFixed(2)} s, ratio ${ratio.toFixed(2)}x (target <= 1.2x)`,
  );
}

describe('install from osmet', () => {
  bench('osmet vs install -f .raw.xz', run, { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 });
});
