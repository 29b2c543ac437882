// Offline install from osmet on real parts (root): a NestOS-like disk on a
// loop device is packed with `pack osmet`, rebuilt with `dev extract osmet`
// and by the Python reference decoder, and installed onto a second loop
// device with no image source, using the osmet directory and repository
// overrides. Broken osmet files fail clearly and leave the target wiped.
// Tools: losetup, partx, blkid, mount (util-linux), sgdisk, mkfs.ext4,
// filefrag (e2fsprogs), mkfs.vfat, python3.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bufferReader, readGpt } from '../../src/blockdev/gpt.js';
import { Decoder, decodeHeader, decodeTable } from '../../src/osmet/format.js';
import { runCli } from '../helpers/cli.js';
import { needs } from '../helpers/env.js';
import { loopDisks } from '../helpers/loop-disk.js';
import { buildNestosDisk, type NestosDisk } from '../helpers/nestos-disk.js';
import { refDecode } from '../helpers/osmet.js';
import { tmpDir } from '../helpers/tmp.js';

const TOOLS = ['losetup', 'partx', 'blkid', 'lsblk', 'mount', 'sgdisk', 'mkfs.ext4', 'mkfs.vfat', 'filefrag', 'python3'];
const skip = needs({ root: true, tools: TOOLS });

const sh = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const DESCRIPTION = 'NestOS For Container 22.03-LTS';

describe.skipIf(skip)('osmet on loop devices', () => {
  const dir = tmpDir('nestos-osmet-root-');
  const disks = loopDisks(dir);
  const { mountRo, detach } = disks;
  let disk: NestosDisk;
  let source: string;
  let repo: string;
  const osmetDir = join(dir, 'osmet');
  const osmetFile = join(osmetDir, 'nestos-22.03-metal.x86_64.osmet');
  const ignition = JSON.stringify({ ignition: { version: '3.3.0' }, passwd: { users: [{ name: 'nest' }] } });
  const ignitionFile = join(dir, 'config.ign');
  const arch = sh('uname', ['-m']).trim();

  /** A target disk file of `mib` MiB filled with a pattern, attached. */
  function target(name: string, mib = 80): { file: string; loop: string } {
    return disks.disk(name, mib);
  }

  beforeAll(async () => {
    disk = await buildNestosDisk(dir);
    writeFileSync(ignitionFile, ignition);
    mkdirSync(osmetDir);
    source = disks.attach(disk.raw, { partx: true });
  });

  it('pack osmet maps the objects and packs the rest well under a quarter of the image', async () => {
    const r = await runCli(['pack', 'osmet', '--output', osmetFile, '--checksum', disk.sha256, '--description', DESCRIPTION, source]);
    expect(r.stderr).toContain('Packing successful!');
    expect(r.status).toBe(0);
    const data = readFileSync(osmetFile);
    expect(data.length).toBeLessThan(disk.size / 4);
    // The objects are 60% of the disk; packed, the file is a small fraction of what was left out.
    expect(data.length).toBeLessThan(disk.size - disk.objectBytes);
    const d = new Decoder(data);
    expect(decodeHeader(d)).toEqual({
      version: 1,
      appVersion: expect.any(String),
      sectorSize: 512,
      osDescription: DESCRIPTION,
      osArchitecture: arch,
    });
    const table = decodeTable(d);
    expect(table.size).toBe(disk.size);
    expect(table.checksum.toString('hex')).toBe(disk.sha256);
    const boot = disk.partition('boot');
    const root = disk.partition('root');
    expect(table.partitions.map((p) => [p.startOffset, p.endOffset])).toEqual([
      [boot.start, boot.end],
      [root.start, root.end],
    ]);
    // The kernel and initramfs on boot are mapped to their objects.
    expect(table.partitions[0]?.mappings.reduce((n, m) => n + m.extent.length, 0)).toBeGreaterThanOrEqual(900_001 + 2 * (1 << 20));
    expect(table.partitions[1]?.mappings.reduce((n, m) => n + m.extent.length, 0)).toBeGreaterThanOrEqual(disk.objectBytes);
    // One xz stream with a CRC64 check (stream flags 00 04).
    expect(data.subarray(d.offset, d.offset + 8).toString('hex')).toBe('fd377a585a000004');
    // Both partitions were mounted by pack itself and released.
    expect(sh('lsblk', ['-n', '-o', 'MOUNTPOINT', source]).trim()).toBe('');
    repo = join(mountRo(`${source}p4`), 'ostree', 'repo');
  });

  it('dev extract osmet and the reference decoder rebuild the image byte for byte', async () => {
    const out = join(dir, 'extracted.raw');
    writeFileSync(out, '');
    const r = await runCli(['dev', 'extract', 'osmet', '--osmet', osmetFile, repo, out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(sha256(readFileSync(out))).toBe(disk.sha256);
    rmSync(out);
    const ref = refDecode(osmetFile, repo, out);
    expect(ref.header.description).toBe(DESCRIPTION);
    expect(sha256(readFileSync(out))).toBe(disk.sha256);
    rmSync(out);
  });

  it('dev show fiemap prints the extents of an object file', async () => {
    const objects = join(repo, 'objects');
    const sub = readdirSync(objects)[0] as string;
    const file = join(objects, sub, readdirSync(join(objects, sub))[0] as string);
    const r = await runCli(['dev', 'show', 'fiemap', file]);
    expect(r.status).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    let total = 0;
    for (const line of lines) {
      const m = /^Extent \{ logical: (\d+), physical: (\d+), length: (\d+) \}$/.exec(line);
      expect(m, line).not.toBeNull();
      total += Number(m?.[3]);
    }
    expect(total).toBeGreaterThanOrEqual(statSync(file).size);
  });

  const env = () => ({ NESTOS_INSTALLER_OSMET_DIR: osmetDir, NESTOS_INSTALLER_OSTREE_REPO: repo });

  it('install with no image source installs the osmet image and the Ignition config', async () => {
    const t = target('installed.img');
    const r = await runCli(['install', t.loop, '-i', ignitionFile], { env: env() });
    expect(r.stderr).toContain(`Installing ${DESCRIPTION} ${arch} (512-byte sectors)\n`);
    expect(r.stderr).toContain('Install complete.');
    expect(r.status).toBe(0);
    expect(r.stderr).not.toContain('signature');
    const installed = readFileSync(t.file);
    const image = readFileSync(disk.raw);
    const boot = disk.partition('boot');
    expect(sha256(installed.subarray(0, boot.start)), 'before boot').toBe(sha256(image.subarray(0, boot.start)));
    expect(sha256(installed.subarray(boot.end, disk.size)), 'after boot').toBe(sha256(image.subarray(boot.end)));
    const m = mountRo(`${t.loop}p3`);
    expect(readFileSync(join(m, 'ignition', 'config.ign'), 'utf8')).toBe(ignition);
    expect(sha256(readFileSync(join(m, 'ostree', 'nestos-5f0e9a', 'vmlinuz')))).toBe(
      sha256(
        readFileSync(
          join(repo, '..', '..', 'ostree', 'repo', 'objects', ...objectOf(readFileSync(join(m, 'ostree', 'nestos-5f0e9a', 'vmlinuz')))),
        ),
      ),
    );
    disks.unmount(m);
    detach(t.loop);
  });

  /** Where putObject stored this content. */
  function objectOf(data: Buffer): string[] {
    const sum = sha256(data);
    return [sum.slice(0, 2), `${sum.slice(2)}.file`];
  }

  it('install --offline uses osmet; with an empty osmet directory it fails and writes nothing', async () => {
    const t = target('offline.img', 72);
    const ok = await runCli(['install', '--offline', t.loop], { env: env() });
    expect(ok.stderr).toContain(`Installing ${DESCRIPTION}`);
    expect(ok.status).toBe(0);
    expect(sha256(readFileSync(t.file).subarray(0, disk.size))).toBe(disk.sha256);

    const empty = join(dir, 'empty-osmet');
    mkdirSync(empty);
    const u = target('untouched.img', 72);
    const before = sha256(readFileSync(u.file));
    const r = await runCli(['install', '--offline', u.loop], { env: { ...env(), NESTOS_INSTALLER_OSMET_DIR: empty } });
    expect(r.stderr).toBe('Error: cannot perform offline install; metadata missing\n');
    expect(r.status).toBe(1);
    expect(sha256(readFileSync(u.file))).toBe(before);
    // A missing directory is no osmet either; another architecture or sector size does not match.
    const missing = await runCli(['install', '--offline', u.loop], { env: { ...env(), NESTOS_INSTALLER_OSMET_DIR: join(dir, 'nowhere') } });
    expect(missing.stderr).toBe('Error: cannot perform offline install; metadata missing\n');
    const other = await runCli(['install', '--offline', '--architecture', 's390x', u.loop], { env: env() });
    expect(other.stderr).toBe('Error: cannot perform offline install; metadata missing\n');
    expect(sha256(readFileSync(u.file))).toBe(before);
    detach(t.loop);
    detach(u.loop);
  });

  /** Install from a broken variant of the osmet file (or repository); the target must end up wiped. */
  async function failedInstall(name: string, osmet: Buffer, repoDir: string, expected: RegExp): Promise<void> {
    const d = join(dir, `bad-${name}`);
    mkdirSync(d);
    writeFileSync(join(d, 'nestos.osmet'), osmet);
    const t = target(`${name}.img`);
    const r = await runCli(['install', t.loop, '-i', ignitionFile], {
      env: { NESTOS_INSTALLER_OSMET_DIR: d, NESTOS_INSTALLER_OSTREE_REPO: repoDir },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(expected);
    expect(r.stderr).toContain('Error: install failed');
    expect(r.stderr).toContain('Resetting partition table');
    const after = readFileSync(t.file);
    // Wiped: an empty partition table; the image's first MiB (boot code, GPT) was never committed.
    expect((await readGpt(bufferReader(after)))?.entries).toEqual([]);
    expect(after.subarray(0, 3).toString('hex')).not.toBe('eb6390');
    detach(t.loop);
  }

  it('a corrupt packed stream is a clear error and leaves the target wiped', async () => {
    const data = Buffer.from(readFileSync(osmetFile));
    const d = new Decoder(data);
    decodeHeader(d);
    decodeTable(d);
    // Flip bytes in the middle of the xz stream's compressed data.
    const mid = d.offset + Math.floor((data.length - d.offset) / 2);
    for (let i = 0; i < 16; i++) data[mid + i] = (data[mid + i] as number) ^ 0x5a;
    await failedInstall('corrupt', data, repo, /Caused by:\n(.*\n)*\s+.*(corrupt|Data|check)/i);
  });

  it('a missing object is a clear error and leaves the target wiped', async () => {
    const copy = join(dir, 'repo-copy');
    cpSync(repo, copy, { recursive: true });
    const table = (() => {
      const d = new Decoder(readFileSync(osmetFile));
      decodeHeader(d);
      return decodeTable(d);
    })();
    const object = table.partitions[1]?.mappings[3]?.object.toString('hex') as string;
    const path = join(copy, 'objects', object.slice(0, 2), `${object.slice(2)}.file`);
    rmSync(path);
    await failedInstall('missing', readFileSync(osmetFile), copy, new RegExp(`opening ${path}\n(.*\n)*.*No such file or directory`));
  });

  it('a checksum mismatch is a clear error and leaves the target wiped', async () => {
    const data = Buffer.from(readFileSync(osmetFile));
    const d = new Decoder(data);
    decodeHeader(d);
    decodeTable(d);
    // The checksum sits right before the size varint (FC + 4 bytes for a 64 MiB image).
    const at = d.offset - 5 - 32;
    expect(data.subarray(at, at + 32).toString('hex')).toBe(disk.sha256);
    data[at] = (data[at] as number) ^ 1;
    await failedInstall('checksum', data, repo, /unpacked image checksum [0-9a-f]{64} doesn't match expected [0-9a-f]{64}/);
  });

  it('pack osmet refuses a wrong --checksum and writes no file', async () => {
    const out = join(dir, 'wrong.osmet');
    const r = await runCli([
      'pack',
      'osmet',
      '--fast',
      '--output',
      out,
      '--checksum',
      '0'.repeat(64),
      '--description',
      DESCRIPTION,
      source,
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`expected checksum ${'0'.repeat(64)} but device has ${disk.sha256}`);
    expect(readdirSync(dir).filter((n) => n.includes('wrong') || n.startsWith('.nestos-installer-temp-'))).toEqual([]);
  });
});
