// install under faults, on real loop devices (root; issue 16 FINDINGS 8, 13,
// 14 and the install faults): an interrupt in any phase ends the install
// cleanly (unmounted, detached, table wiped, exit 130); a wrong target is
// refused before anything is written; a kept partition gets its device node.

import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferReader, readGpt } from '../../src/blockdev/gpt.js';
import { runCli } from '../helpers/cli.js';
import { serveDir } from '../helpers/http-server.js';
import { needs } from '../helpers/env.js';
import { loopDisks, unattachedLoopDevice } from '../helpers/loop-disk.js';
import { buildMetalImage, type MetalImage } from '../helpers/metal-image.js';
import { fixture, tmpDir } from '../helpers/tmp.js';

const TOOLS = [
  'losetup',
  'blockdev',
  'partx',
  'lsblk',
  'blkid',
  'mount',
  'sgdisk',
  'mkfs.ext4',
  'mkfs.vfat',
  'xz',
  'gpg',
  'mknod',
  'python3',
];
const skip = needs({ root: true, tools: TOOLS });
const sh = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe.skipIf(skip)('install faults on loop devices', () => {
  const dir = tmpDir('nestos-install-faults-');
  const { file: diskFile, attach } = loopDisks(dir);
  let image: MetalImage;
  const ignitionFile = join(dir, 'config.ign');

  beforeAll(async () => {
    image = await buildMetalImage(dir);
    writeFileSync(ignitionFile, JSON.stringify({ ignition: { version: '3.3.0' } }));
  });

  afterAll(() => {
    image?.key.close();
  });

  const signed = () => ['-f', image.xz, '--signing-key', image.key.publicKeyFile];
  const loopsOf = (file: string): string => sh('losetup', ['-j', file]).trim();
  const mountsUnder = (prefix: string): string[] =>
    readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[4] ?? '')
      .filter((m) => m.startsWith(prefix));

  it('Ctrl-C twice while the boot partition is mounted (file target): unmounted, detached, table wiped, exit 130 (FINDINGS 8)', async () => {
    const file = diskFile('interrupted.img', 48);
    // A `mount` first on PATH that interrupts install (its parent) twice, then mounts for real.
    const bin = join(dir, 'interrupting-bin');
    mkdirSync(bin);
    const realMount = sh('sh', ['-c', 'command -v mount']).trim();
    writeFileSync(join(bin, 'mount'), `#!/bin/sh\nkill -INT $PPID\nsleep 0.2\nkill -INT $PPID\nexec ${realMount} "$@"\n`);
    chmodSync(join(bin, 'mount'), 0o755);
    // install mounts the boot partition on a mkdtemp() in TMPDIR: a private
    // one, since other test files mount in the run's temp root meanwhile.
    const installTmp = join(dir, 'install-tmp');
    mkdirSync(installTmp);
    const res = await runCli(['install', ...signed(), '-i', ignitionFile, file], {
      env: { PATH: `${bin}:${process.env['PATH'] ?? ''}`, TMPDIR: installTmp },
    });
    expect(res.status).toBe(130);
    expect(res.stderr).not.toContain('Install complete.');
    expect(res.stderr).toContain('Resetting partition table');
    expect(res.stderr.trimEnd().split('\n').at(-1)).toBe('Error: install failed');
    expect(loopsOf(file)).toBe('');
    expect(mountsUnder(installTmp)).toEqual([]);
    const gpt = await readGpt(bufferReader(readFileSync(file)));
    expect(gpt?.entries ?? []).toEqual([]);
  });

  it('after a failed install the kept partition has its device node (partx -a; FINDINGS 14)', async () => {
    const fixtureImage = join(dir, 'noboot.raw');
    writeFileSync(fixtureImage, execFileSync('xz', ['-dc', fixture('disk', 'gpt-512.xz')], { maxBuffer: 64 << 20 }));
    const file = diskFile('kept.img', 32);
    sh('sgdisk', ['-n7:40960:+4M', '-c7:keep', file]);
    const loop = attach(file);
    sh('partx', ['-u', loop]);
    const res = await runCli(['install', '--insecure', '-f', fixtureImage, '-i', ignitionFile, '--save-partindex', '7', loop]);
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('Resetting partition table');
    expect(existsSync(`${loop}p7`)).toBe(true);
    expect(sh('blkid', ['-p', '-s', 'PART_ENTRY_NAME', '-o', 'value', `${loop}p7`]).trim()).toBe('keep');
  });

  it('refuses a partition, a character device, a directory and an unattached loop device, writing nothing (FINDINGS 13)', async () => {
    const file = diskFile('whole.img', 16);
    sh('sgdisk', ['-n1:2048:+4M', '-c1:part', file]);
    const loop = attach(file);
    sh('partx', ['-u', loop]);
    const before = readFileSync(file);
    const part = await runCli(['install', ...signed(), `${loop}p1`]);
    expect(part.stderr).toBe(`Error: getting sector size of ${loop}p1\n\nCaused by:\n    ${loop}p1 is a partition, not a whole disk\n`);
    expect(readFileSync(file).equals(before)).toBe(true);

    const chr = join(dir, 'null');
    sh('mknod', [chr, 'c', '1', '3']);
    const c = await runCli(['install', ...signed(), chr]);
    expect(c.stderr).toBe(`Error: getting sector size of ${chr}\n\nCaused by:\n    "${chr}" is not a block device\n`);
    const d = await runCli(['install', ...signed(), dir]);
    expect(d.stderr).toBe(`Error: getting sector size of ${dir}\n\nCaused by:\n    "${dir}" is not a block device\n`);

    // Not `losetup -f`: a test file running beside this one could attach that device first.
    const free = unattachedLoopDevice(dir);
    const u = await runCli(['install', ...signed(), free]);
    expect(u.stderr).toBe(
      `Error: getting sector size of ${free}\n\nCaused by:\n    ${free} has no medium (size 0; an unattached loop device?)\n`,
    );
    for (const r of [part, c, d, u]) expect(r.status).toBe(1);
  });

  it('a target that turns read-only mid-write: a clear error and no bootable half disk', async () => {
    const file = diskFile('turns-ro.img', 64);
    const loop = attach(file);
    // The image over HTTP, stalling half-way once; during the stall the device turns read-only.
    const srv = join(dir, 'srv-ro');
    mkdirSync(srv);
    copyFileSync(image.xz, join(srv, basename(image.xz)));
    copyFileSync(`${image.xz}.sig`, join(srv, `${basename(image.xz)}.sig`));
    const half = Math.floor(statSync(image.xz).size / 2);
    const server = await serveDir(srv, { stallAfterBytes: half, stallCount: 1 });
    try {
      const run = runCli(
        ['install', '-u', `${server.url}${basename(image.xz)}`, '--signing-key', image.key.publicKeyFile, '--fetch-retries', '1', loop],
        { env: { NESTOS_INSTALLER_SOCKET_TIMEOUT_MS: '4000', NESTOS_INSTALLER_RETRY_DELAY_MS: '1' } },
      );
      await new Promise((r) => setTimeout(r, 2000));
      sh('blockdev', ['--setro', loop]);
      const res = await run;
      expect(res.status, res.stderr).toBe(1);
      expect(res.stderr).toMatch(/Operation not permitted|Read-only file system|Permission denied/);
      // The cause is named, once for the write and once for the table reset that cannot happen either.
      expect(res.stderr).toContain(`\nError: device ${loop} is read-only\n\nCaused by:\n`);
      expect(res.stderr).not.toMatch(/^\s+at /m);
      expect(res.stderr.trimEnd().split('\n').at(-1)).toBe('Error: install failed');
      // The image's first MiB (its partition table) was never committed: the
      // table install put there before writing is empty, so nothing here boots.
      const gpt = await readGpt(bufferReader(readFileSync(file)));
      expect(gpt?.entries ?? [], res.stderr).toEqual([]);
    } finally {
      sh('blockdev', ['--setrw', loop]);
      await server.close();
    }
  });
});
