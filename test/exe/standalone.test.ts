// The standalone executable (npm run build:exe) copied alone into an empty
// directory and run in a private mount namespace where the checkout (with
// its node_modules), the global node_modules and the node binary itself are
// hidden: every job a live system runs must work from the one file.
// Needs root (unshare -m, mounts, loop devices).

import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../helpers/env.js';
import { buildMetalImage, fileSha256, type MetalImage } from '../helpers/metal-image.js';
import { ROOT, tmpDir } from '../helpers/tmp.js';
import { pristineIso } from '../live/fixture-iso.js';

const EXE_NAME = `nestos-installer-linux-${process.arch}`;
const BUILT = join(ROOT, 'dist', EXE_NAME);
const TOOLS = ['unshare', 'mount', 'losetup', 'partx', 'sgdisk', 'mkfs.ext4', 'mkfs.vfat', 'xz', 'zstd', 'cpio', 'gpg'];
const skip = needs({ root: true, tools: TOOLS });

/** Mount points that would let the executable reach Node or node_modules. */
function hiddenDirs(): string[] {
  return [ROOT, '/usr/lib/node_modules', '/usr/local/lib/node_modules'].filter((d) => existsSync(d));
}

interface Run {
  status: number | null;
  stdout: Buffer;
  out: string;
  stderr: string;
}

describe.skipIf(skip)('standalone executable, alone, with Node and the project out of reach', () => {
  const work = tmpDir('nestos-exe-work-');
  const bin = join(tmpDir('nestos-exe-bin-'), EXE_NAME);
  const loops: string[] = [];
  let image: MetalImage;

  /** Run the copied executable inside `unshare -m` with the hidden directories under empty tmpfs mounts. */
  function run(args: string[], input = '', program = bin): Run {
    const hide = hiddenDirs()
      .map((d) => `mount -t tmpfs -o size=1m,mode=0755 nestos-hidden '${d}'`)
      .concat(`mount --bind /dev/null '${process.execPath}'`)
      .join(' && ');
    const script = `${hide} && cd "$(dirname "$1")" && exec "$@"`;
    const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', program, ...args], {
      cwd: work,
      input,
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: work, LANG: 'C.UTF-8' },
      maxBuffer: 64 << 20,
    });
    return { status: r.status, stdout: r.stdout, out: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
  }

  beforeAll(async () => {
    if (!existsSync(BUILT)) {
      const { buildExe } = (await import(join(ROOT, 'scripts', 'build-exe.mjs'))) as { buildExe(): Promise<string> };
      await buildExe();
    }
    copyFileSync(BUILT, bin);
    image = await buildMetalImage(work);
  }, 300_000);

  afterAll(() => {
    for (const l of loops) {
      try {
        execFileSync('losetup', ['-d', l], { stdio: 'ignore' });
      } catch {
        // already detached
      }
    }
    image?.key.close();
  });

  it('really hides the checkout and node from the executable', () => {
    const probe = spawnSync(
      'unshare',
      [
        '-m',
        '--propagation',
        'private',
        'sh',
        '-c',
        `${hiddenDirs()
          .map((d) => `mount -t tmpfs nestos-hidden '${d}'`)
          .join(
            ' && ',
          )} && mount --bind /dev/null '${process.execPath}' && ls -A '${ROOT}' && ! '${process.execPath}' -e 0 && ls -A "$(dirname "$1")"`,
        'sh',
        bin,
      ],
      { encoding: 'utf8' },
    );
    expect(probe.status).toBe(0);
    expect(probe.stdout.trim()).toBe(EXE_NAME);
  });

  it('--version', () => {
    const r = run(['--version']);
    expect(r.stderr).toBe('');
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect(r.out).toBe(`nestos-installer ${version}\n`);
    expect(r.status).toBe(0);
  });

  it('a coreos-installer link to the executable speaks CoreOS (invokedFamily() under SEA)', () => {
    const link = join(dirname(bin), 'coreos-installer');
    if (!existsSync(link)) symlinkSync(EXE_NAME, link);
    const version = run(['--version'], '', link);
    expect(version.out).toMatch(/^coreos-installer \d+\.\d+\.\d+/);
    const help = run(['--help'], '', link);
    expect(help.out.split('\n')[0]).toBe('Installer for Fedora CoreOS and RHEL CoreOS');
    expect(help.out).toContain('Usage: coreos-installer <COMMAND>');
    expect(run(['--help']).out.split('\n')[0]).toBe('Installer for NestOS');
  });

  it('pxe ignition wrap: an xz (CRC32) cpio holding the config, unwrapped back byte for byte', () => {
    const config = '{"ignition":{"version":"3.3.0"},"passwd":{"users":[{"name":"core"}]}}\n';
    writeFileSync(join(work, 'config.ign'), config);
    const wrapped = join(work, 'wrapped.img');
    const r = run(['pxe', 'ignition', 'wrap', '-i', join(work, 'config.ign'), '-o', wrapped]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(execFileSync('sh', ['-c', `xz -dc '${wrapped}' | cpio -i --to-stdout config.ign 2>/dev/null`]).toString()).toBe(config);
    const back = run(['pxe', 'ignition', 'unwrap', wrapped]);
    expect(back.out).toBe(config);
  });

  it('dev show initrd of an xz and of a zstd initrd (the embedded native codecs)', () => {
    const tree = join(work, 'initrd-tree');
    mkdirSync(join(tree, 'etc'), { recursive: true });
    writeFileSync(join(tree, 'etc', 'hello'), 'hello\n');
    writeFileSync(join(tree, 'config.ign'), '{}');
    const cpio = join(work, 'initrd.cpio');
    execFileSync('sh', ['-c', `cd '${tree}' && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet > '${cpio}'`]);
    execFileSync('sh', ['-c', `xz -C crc32 -c '${cpio}' > '${cpio}.xz' && zstd -q -c '${cpio}' > '${cpio}.zst'`]);
    for (const file of [`${cpio}.xz`, `${cpio}.zst`]) {
      const r = run(['dev', 'show', 'initrd', file]);
      expect(r.stderr, file).toBe('');
      expect(r.out, file).toBe('config.ign\netc/hello\n');
      expect(r.status).toBe(0);
    }
  });

  it('loads the codecs from a private temp file that is gone at once; a noexec TMPDIR falls back', () => {
    const xz = join(work, 'initrd.cpio.xz');
    const tmp = join(work, 'private-tmp');
    mkdirSync(tmp, { recursive: true });
    // In the namespace: TMPDIR on a fresh tmpfs, listed after the run; then on a noexec tmpfs.
    const script =
      `mount -t tmpfs -o size=16m nestos-tmp '${tmp}' && TMPDIR='${tmp}' "$1" dev show initrd '${xz}' && ls -A '${tmp}' && echo END && ` +
      `umount '${tmp}' && mount -t tmpfs -o size=16m,noexec nestos-tmp '${tmp}' && TMPDIR='${tmp}' "$1" dev show initrd '${xz}'`;
    const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', bin], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('config.ign\netc/hello\nEND\nconfig.ign\netc/hello\n');
    expect(r.status).toBe(0);
  });

  it.each([
    ['a multi-block xz (parallel decoding on worker threads)', 'xz', ['-T2', '--block-size=2MiB', '-1', '-k', '-f']],
    ['a zstd image (decoded on a worker thread)', 'zstd', ['-q', '-1', '-f']],
  ])('%s installs byte for byte: the workers are assets of the executable', (_what, tool, compress) => {
    const raw = join(work, `${tool}.raw`);
    writeFileSync(raw, randomBytes(12 << 20));
    execFileSync(tool, [...compress, raw]);
    const disk = join(work, `${tool}-disk.img`);
    execFileSync('truncate', ['-s', '16M', disk]);
    const r = run(['install', '-f', `${raw}.${tool === 'xz' ? 'xz' : 'zst'}`, '--insecure', disk]);
    expect(r.stderr).toContain('Install complete.');
    expect(r.status).toBe(0);
    expect(fileSha256(disk, 0, 12 << 20)).toBe(fileSha256(raw));
  });

  it('iso ignition embed, then show', () => {
    const iso = join(work, 'live.iso');
    copyFileSync(pristineIso('embed-areas-2022-09'), iso);
    const config = '{"ignition":{"version":"3.3.0"}}';
    writeFileSync(join(work, 'embed.ign'), config);
    const r = run(['iso', 'ignition', 'embed', '-i', join(work, 'embed.ign'), iso]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(run(['iso', 'ignition', 'show', iso]).out).toBe(config);
  });

  it('a signed install onto a loop device, with an Ignition config (OpenPGP, xz, mounts)', () => {
    const disk = join(work, 'disk.img');
    execFileSync('truncate', ['-s', '64M', disk]);
    const loop = execFileSync('losetup', ['-f', '--show', '-P', disk], { encoding: 'utf8' }).trim();
    loops.push(loop);
    const r = run(['install', '-f', image.xz, '--signing-key', image.key.publicKeyFile, '-i', join(work, 'config.ign'), loop]);
    expect(r.stderr).toContain(`Good signature from "Test metal <metal@example.invalid>"`);
    expect(r.stderr).toContain('Writing Ignition config');
    expect(r.stderr).toContain('Install complete.');
    expect(r.status).toBe(0);
    const root = image.partition('root');
    expect(fileSha256(disk, root.start, root.end)).toBe(image.sha256(root.start, root.end));
    // An image signed by a key outside the built-in keyring (an asset of the executable) is refused.
    const bad = run(['install', '-f', image.xz, loop]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('Error: install failed');
  });
});
