// install onto real loop devices (root). Fails instead of skipping under CI=true.
// Tools: losetup blockdev partx lsblk blkid mount (util-linux, mount), sgdisk (gdisk),
// mkfs.ext4 (e2fsprogs), mkfs.vfat (dosfstools), xz (xz-utils), gpg.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferReader, readGpt, type Gpt } from '../../src/blockdev/gpt.js';
import { AS_COREOS, runCli } from '../helpers/cli.js';
import { needs } from '../helpers/env.js';
import { serveDir } from '../helpers/http-server.js';
import { loopDisks } from '../helpers/loop-disk.js';
import { NESTOS_PLATFORMS, buildMetalImage, fileSha256, type MetalImage } from '../helpers/metal-image.js';
import { fixture, tmpDir } from '../helpers/tmp.js';
import { memberLength } from '../../src/io/codec/member-decoder.js';
import { xzFramer, type FramedBlock } from '../../src/io/codec/xz.js';
import { XZ_EOF } from '../../src/io/compression.js';
import { openDirect } from '../../src/io/direct-io.js';

const TOOLS = ['losetup', 'blockdev', 'partx', 'lsblk', 'blkid', 'mount', 'sgdisk', 'mkfs.ext4', 'mkfs.vfat', 'xz', 'gpg'];
const skip = needs({ root: true, tools: TOOLS });

const sh = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe.skipIf(skip)('install on loop devices', () => {
  const dir = tmpDir('nestos-install-root-');
  const { disk: makeDisk, attach, mountRo, unmount } = loopDisks(dir);
  let image: MetalImage;
  const ignition = JSON.stringify({ ignition: { version: '3.3.0' }, passwd: { users: [{ name: 'core' }] } });
  const ignitionFile = join(dir, 'config.ign');

  beforeAll(async () => {
    image = await buildMetalImage(dir);
    writeFileSync(ignitionFile, ignition);
  });

  afterAll(() => {
    image?.key.close();
  });

  const signed = () => ['-f', image.xz, '--signing-key', image.key.publicKeyFile];

  it('installs a signed image, writes Ignition and kargs, and keeps a saved partition', async () => {
    // 64 MiB disk with a "data" partition after the image's 40 MiB.
    const dataStart = 48 << 20;
    const { file, loop } = makeDisk('main.img', 64, (f) => sh('sgdisk', ['-n5:98304:+8M', '-c5:data', f]));
    const dataSha = fileSha256(file, dataStart, dataStart + (8 << 20));
    const res = await runCli([
      'install',
      ...signed(),
      '-i',
      ignitionFile,
      '--append-karg',
      'nestos.test=1',
      '--delete-karg',
      'rhgb',
      '--save-partlabel',
      'da*',
      loop,
    ]);
    expect(res.stderr).toContain('Install complete.');
    expect(res.status).toBe(0);
    expect(res.stderr).toContain(`Copying image from ${image.xz}`);
    expect(res.stderr).toContain('Saving partition 5 ("data") to new partition 5');
    expect(res.stderr).toContain('Writing Ignition config');
    expect(res.stderr).toContain('Modifying kernel arguments');

    expect(sh('sgdisk', ['-v', loop])).toContain('No problems found');
    const gpt = (await readGpt(bufferReader(readFileSync(file)))) as Gpt;
    expect(gpt.entries.map((e) => [e.index, e.name])).toEqual([
      [1, 'BIOS-BOOT'],
      [2, 'EFI-SYSTEM'],
      [3, 'boot'],
      [4, 'root'],
      [5, 'data'],
    ]);
    expect(gpt.entries[4]?.firstLba).toBe(98304);
    expect(fileSha256(file, dataStart, dataStart + (8 << 20))).toBe(dataSha);
    const root = image.partition('root');
    expect(fileSha256(file, root.start, root.end)).toBe(image.sha256(root.start, root.end));
    // Everything but the boot partition (edited) matches the image after the GPT area.
    const esp = image.partition('EFI-SYSTEM');
    expect(fileSha256(file, 1 << 20, esp.end)).toBe(image.sha256(1 << 20, esp.end));

    const boot = readdirSync('/dev')
      .map((n) => `/dev/${n}`)
      .find((p) => p === `${loop}p3`);
    expect(boot).toBe(`${loop}p3`);
    const m = mountRo(`${loop}p3`);
    try {
      expect(readFileSync(join(m, 'ignition', 'config.ign'), 'utf8')).toBe(ignition);
      expect(statSync(join(m, 'ignition', 'config.ign')).mode & 0o777).toBe(0o600);
      expect(statSync(join(m, 'ignition')).mode & 0o777).toBe(0o700);
      const entry = readFileSync(join(m, 'loader', 'entries', 'ostree-1-nestos.conf'), 'utf8');
      expect(entry).toContain('options root=UUID=0000 rw quiet ignition.platform.id=metal $ignition_firstboot nestos.test=1\n');
    } finally {
      unmount(m);
    }
  });

  it('configures console, platform and first-boot args on an existing disk-image file (E8)', async () => {
    const file = join(dir, 'vm.img');
    writeFileSync(file, Buffer.alloc(0));
    execFileSync('truncate', ['-s', '48M', file]);
    const served = tmpDir();
    writeFileSync(join(served, 'config.ign'), ignition);
    const server = await serveDir(served);
    const netDir = join(dir, 'nm');
    mkdirSync(netDir);
    writeFileSync(join(netDir, 'eth0.nmconnection'), '[connection]\nid=eth0\n', { mode: 0o600 });
    const hash = `sha256-${createHash('sha256').update(ignition).digest('hex')}`;
    let res;
    try {
      res = await runCli([
        'install',
        ...signed(),
        '-I',
        `${server.url}config.ign`,
        '--ignition-hash',
        hash,
        '--console',
        'ttyS0,115200',
        '--platform',
        'qemu',
        '--firstboot-args',
        'ip=dhcp',
        '-n',
        '--network-dir',
        netDir,
        file,
      ]);
    } finally {
      await server.close();
    }
    expect(res.stderr).toContain('Install complete.');
    expect(res.status).toBe(0);
    expect(res.stderr).toContain('Setting platform to qemu');
    expect(res.stderr).toContain('Configuring console settings');
    expect(res.stderr).toContain(`Copying ${join(netDir, 'eth0.nmconnection')} to installed system`);
    const loop = attach(file, { readOnly: true, partx: true });
    const m = mountRo(`${loop}p3`);
    try {
      expect(readFileSync(join(m, 'ignition', 'config.ign'), 'utf8')).toBe(ignition);
      const entry = readFileSync(join(m, 'loader', 'entries', 'ostree-1-nestos.conf'), 'utf8');
      expect(entry).toContain(
        'options root=UUID=0000 rw rhgb quiet ignition.platform.id=qemu $ignition_firstboot console=ttyS0,115200n8\n',
      );
      expect(readFileSync(join(m, 'grub2', 'grub.cfg'), 'utf8')).toBe(
        'set timeout=1\n# CONSOLE-SETTINGS-START\nserial --unit=0 --speed=115200 --word=8 --parity=no\nterminal_input serial\nterminal_output serial\n# CONSOLE-SETTINGS-END\nblscfg\n',
      );
      expect(readFileSync(join(m, 'ignition.firstboot'), 'utf8')).toContain('set ignition_network_kcmdline="ip=dhcp"\n');
      expect(readFileSync(join(m, 'coreos-firstboot-network', 'eth0.nmconnection'), 'utf8')).toBe('[connection]\nid=eth0\n');
      expect(statSync(join(m, 'coreos-firstboot-network', 'eth0.nmconnection')).mode & 0o777).toBe(0o600);
    } finally {
      unmount(m);
    }
    expect(statSync(file).size).toBe(48 << 20);
  });

  // NESTOS.md: a boot partition with nestos/ is NestOS; --platform reads
  // nestos/platforms.json and --copy-network writes nestos-firstboot-network/.
  // The medium decides, whichever name the tool runs under.
  for (const as of [{}, AS_COREOS]) {
    const who = as === AS_COREOS ? 'coreos-installer' : 'nestos-installer';
    it(`${who}: install --platform qemu -n onto a loop device with a NestOS image applies nestos/platforms.json`, async () => {
      // Short: gpg-agent's socket path under it must stay within sun_path's 108 bytes.
      const sub = join(dir, as === AS_COREOS ? 'nc' : 'nn');
      mkdirSync(sub);
      const nestos = await buildMetalImage(sub, 40, { family: 'nestos' });
      try {
        const netDir = join(sub, 'nm');
        mkdirSync(netDir);
        writeFileSync(join(netDir, 'eth0.nmconnection'), '[connection]\nid=eth0\n', { mode: 0o600 });
        const { loop } = makeDisk(`nestos-${who}.img`, 48);
        const res = await runCli(
          [
            'install',
            '-f',
            nestos.xz,
            '--signing-key',
            nestos.key.publicKeyFile,
            '--platform',
            'qemu',
            '-n',
            '--network-dir',
            netDir,
            loop,
          ],
          as,
        );
        expect(res.stderr).toContain('Install complete.');
        expect(res.status).toBe(0);
        expect(res.stderr).toContain('Setting platform to qemu');
        const m = mountRo(`${loop}p3`);
        try {
          const entry = readFileSync(join(m, 'loader', 'entries', 'ostree-1-nestos.conf'), 'utf8');
          expect(entry).toContain(
            'options root=UUID=0000 rw rhgb quiet ignition.platform.id=qemu $ignition_firstboot console=tty0 console=ttyS1,115200n8\n',
          );
          expect(readFileSync(join(m, 'grub2', 'grub.cfg'), 'utf8')).toBe(
            `set timeout=1\n# CONSOLE-SETTINGS-START\n${NESTOS_PLATFORMS.qemu.grub_commands.join('\n')}\n# CONSOLE-SETTINGS-END\nblscfg\n`,
          );
          expect(readFileSync(join(m, 'nestos-firstboot-network', 'eth0.nmconnection'), 'utf8')).toBe('[connection]\nid=eth0\n');
          expect(statSync(join(m, 'nestos-firstboot-network', 'eth0.nmconnection')).mode & 0o777).toBe(0o600);
          expect(readdirSync(m).filter((n) => n.startsWith('coreos'))).toEqual([]);
        } finally {
          unmount(m);
        }
      } finally {
        nestos.key.close();
      }
    });
  }

  it('refuses a disk with a mounted partition and leaves it byte-for-byte unchanged', async () => {
    const { file, loop } = makeDisk('busy.img', 48, (f) => sh('dd', [`if=${image.raw}`, `of=${f}`, 'conv=notrunc', 'status=none']));
    const m = mountRo(`${loop}p3`);
    const before = fileSha256(file);
    const res = await runCli(['install', ...signed(), loop]);
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(`Partitions in use on ${loop}:\n    ${loop}p3 mounted on ${m}\n`);
    expect(res.stderr).toContain(`Error: checking for exclusive access to ${loop}\n\nCaused by:\n    found busy partitions\n`);
    expect(fileSha256(file)).toBe(before);
    unmount(m);
  });

  it('refuses a too-small disk before writing', async () => {
    const { file, loop } = makeDisk('small.img', 24);
    const before = fileSha256(file);
    const res = await runCli(['install', ...signed(), loop]);
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(`image is ${40 << 20} bytes but ${loop} has only ${24 << 20} bytes`);
    expect(res.stderr).toContain(`Nothing was written to ${loop}`);
    expect(res.stderr.trimEnd().split('\n').at(-1)).toBe('Error: install failed');
    expect(fileSha256(file)).toBe(before);
  });

  it('refuses an image signed by an untrusted key: nothing bootable is left', async () => {
    const { file, loop } = makeDisk('untrusted.img', 48);
    const before = fileSha256(file);
    const res = await runCli(['install', '-f', image.xz, loop]);
    expect(res.status).toBe(1);
    expect(res.stderr.trimEnd().split('\n').at(-1)).toBe('Error: install failed');
    const after = readFileSync(file);
    if (fileSha256(file) !== before) {
      // Wiped: an empty GPT and no image first MiB.
      const gpt = await readGpt(bufferReader(after));
      expect(gpt?.entries).toEqual([]);
      expect(res.stderr).toContain('Resetting partition table');
    }
    expect(after.subarray(0, 1 << 20).equals(readFileSync(image.raw).subarray(0, 1 << 20))).toBe(false);
  });

  it('installs a multi-block xz on worker threads; a corrupt block names its offset and wipes the target', async () => {
    // xz -T writes every block's sizes in its header: the parallel decoder takes it (codec/parallel-xz.ts).
    const multi = join(dir, 'multi.raw.xz');
    writeFileSync(multi, execFileSync('xz', ['-T2', '-1', '--block-size=4MiB', '-c', image.raw], { maxBuffer: 256 << 20 }));
    image.key.sign(multi);
    const good = makeDisk('multi.img', 48);
    const res = await runCli(['install', '-f', multi, '--signing-key', image.key.publicKeyFile, good.loop]);
    expect(res.stderr).toContain('Install complete.');
    expect(res.status).toBe(0);
    expect(fileSha256(good.file, 0, image.size)).toBe(image.sha256(0, image.size));

    const blocks: FramedBlock[] = [];
    const data = readFileSync(multi);
    memberLength(xzFramer({ block: (b) => blocks.push(b) }), data, XZ_EOF);
    // A block past the first MiB's, with data enough to corrupt (the image is mostly zeros).
    const victim = blocks.slice(1).sort((a, b) => b.end - b.start - (a.end - a.start))[0] as FramedBlock;
    const at = victim.start + victim.headerSize + Math.floor((victim.unpaddedSize - victim.headerSize) / 2);
    data[at] = (data[at] ?? 0) ^ 0x40;
    const corrupt = join(dir, 'corrupt.raw.xz');
    writeFileSync(corrupt, data);
    image.key.sign(corrupt);
    const { file, loop } = makeDisk('corrupt.img', 48);
    const bad = await runCli(['install', '-f', corrupt, '--signing-key', image.key.publicKeyFile, loop]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(new RegExp(`Caused by:\\n +(\\d+: )?xz block at offset ${victim.start}: Data is corrupt`));
    expect(bad.stderr).toContain('Resetting partition table');
    expect(bad.stderr.trimEnd().split('\n').at(-1)).toBe('Error: install failed');
    const gpt = await readGpt(bufferReader(readFileSync(file)));
    expect(gpt?.entries ?? []).toEqual([]);
    expect(
      readFileSync(file)
        .subarray(0, 1 << 20)
        .equals(readFileSync(image.raw).subarray(0, 1 << 20)),
    ).toBe(false);
  });

  it('opens a loop device for O_DIRECT with aligned staging buffers: an aligned write lands, a misaligned one is refused', async () => {
    const { file, loop } = makeDisk('direct.img', 8);
    const direct = await openDirect(loop, 4096, 1 << 20, 3);
    expect(direct).toBeDefined();
    if (direct === undefined) return;
    try {
      expect(direct.buffers.map((b) => b.length)).toEqual([1 << 20, 1 << 20, 1 << 20]);
      const buf = direct.buffers[0] as Buffer;
      buf.fill(0x5c);
      await direct.handle.write(buf, 0, 1 << 20, 1 << 20);
      // Every buffer is aligned (they are slices of one allocation), and they do not overlap.
      const last = direct.buffers[2] as Buffer;
      last.fill(0x6d);
      await direct.handle.write(last, 0, 1 << 20, 3 << 20);
      expect(buf.every((b) => b === 0x5c)).toBe(true);
      // Really O_DIRECT: the same bytes one byte off their aligned start are refused.
      const misaligned = Buffer.from(buf.buffer, buf.byteOffset + 1, 4096);
      await expect(direct.handle.write(misaligned, 0, 4096, 2 << 20)).rejects.toMatchObject({ code: 'EINVAL' });
    } finally {
      await direct.handle.close();
    }
    const disk = readFileSync(file);
    expect(disk.subarray(1 << 20, 2 << 20).every((b) => b === 0x5c)).toBe(true);
    expect(disk.subarray(3 << 20, 4 << 20).every((b) => b === 0x6d)).toBe(true);
    expect(disk.subarray(2 << 20, (2 << 20) + 4096).every((b) => b === 0x5c)).toBe(false);
  });

  it('refuses an image that would overwrite a saved partition, before writing', async () => {
    const { file, loop } = makeDisk('collide.img', 64, (f) => sh('sgdisk', ['-n1:40960:+4M', '-c1:keep', f]));
    const before = fileSha256(file);
    const res = await runCli(['install', ...signed(), '--save-partlabel', 'keep', loop]);
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(`collision with partition 1 ("keep") at offset ${40960 * 512}`);
    expect(fileSha256(file)).toBe(before);
  });
  it('resets the table after a failure past the first write, or keeps it with --preserve-on-error', async () => {
    // The gpt-512 fixture has no boot partition: post-processing fails after the image is written.
    const fixtureImage = join(dir, 'noboot.raw');
    writeFileSync(fixtureImage, execFileSync('xz', ['-dc', fixture('disk', 'gpt-512.xz')], { maxBuffer: 64 << 20 }));
    const { file, loop } = makeDisk('noboot.img', 32, (f) => sh('sgdisk', ['-n7:40960:+4M', '-c7:keep', f]));
    const res = await runCli(['install', '--insecure', '-f', fixtureImage, '-i', ignitionFile, '--save-partindex', '7', loop]);
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(`\nError: couldn't find boot device for ${loop}\n\n`);
    expect(res.stderr).toContain('Resetting partition table');
    expect(res.stderr.trimEnd().split('\n').at(-1)).toBe('Error: install failed');
    const reset = (await readGpt(bufferReader(readFileSync(file)))) as Gpt;
    expect(reset.entries.map((e) => [e.index, e.name, e.firstLba])).toEqual([[7, 'keep', 40960]]);
    expect(sh('sgdisk', ['-v', loop])).toContain('No problems found');

    const kept = await runCli([
      'install',
      '--insecure',
      '-f',
      fixtureImage,
      '-i',
      ignitionFile,
      '--save-partindex',
      '7',
      '--preserve-on-error',
      loop,
    ]);
    expect(kept.status).toBe(1);
    expect(kept.stderr).toContain('Preserving partition table as requested');
    const stash = /Storing saved partition entries to (\S+)/.exec(kept.stderr)?.[1] ?? '';
    expect(stash).toMatch(/\/nestos-installer-partitions\.[\w-]{6}$/);
    expect((await readGpt(bufferReader(readFileSync(stash))))?.entries.map((e) => e.name)).toEqual(['keep']);
    rmSync(stash);
    const preserved = (await readGpt(bufferReader(readFileSync(file)))) as Gpt;
    expect(preserved.entries.map((e) => e.name)).toEqual(['Linux filesystem', 'keep']);
  });
});
