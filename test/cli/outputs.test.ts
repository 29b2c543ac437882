// Output files under faults (issue 16 FINDINGS 1-4, 13, 14): an output is
// complete under its final name or not there at all, whatever happens
// (Ctrl-C, SIGTERM, a full or read-only file system), an existing special
// file is written in place and never replaced, and a refusal writes nothing.

import { execFileSync, spawn } from 'node:child_process';
import { lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Initrd } from '../../src/initrd/initrd.js';
import { runCli, startCli, type CliResult } from '../helpers/cli.js';
import { needs } from '../helpers/env.js';
import { tmpDir } from '../helpers/tmp.js';
import { pristineIso } from '../live/fixture-iso.js';

const IGN = '{"ignition":{"version":"3.0.0"}}\n';
const TEMP = /^\.nestos-installer-temp-/;

/** Wait until `dir` holds a temporary output file with data, then send `signal`. */
async function interruptWhenWriting(child: ReturnType<typeof startCli>, dir: string, signal: NodeJS.Signals): Promise<CliResult> {
  for (let i = 0; i < 400; i++) {
    const temp = readdirSync(dir).find((f) => TEMP.test(f));
    if (temp !== undefined && statSync(join(dir, temp)).size > 0) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  expect(readdirSync(dir).some((f) => TEMP.test(f))).toBe(true);
  child.child.kill(signal);
  return child.done;
}

/** A live ISO followed by a sparse hole, so copying it takes a while. */
function bigIso(dir: string): string {
  const path = join(dir, 'big.iso');
  writeFileSync(path, readFileSync(pristineIso('embed-areas-2022-09')));
  truncateSync(path, 3 * 2 ** 30);
  return path;
}

describe('an existing special file or symlink is written, never replaced (FINDINGS 1)', () => {
  const dir = tmpDir();
  const ign = join(dir, 'config.ign');
  writeFileSync(ign, IGN);
  const keyfile = join(dir, 'eth0.nmconnection');
  writeFileSync(keyfile, '[connection]\nid=eth0\n');
  const commands: Record<string, (out: string) => string[]> = {
    'pxe ignition wrap': (out) => ['pxe', 'ignition', 'wrap', '-i', ign, '-o', out],
    'pxe network wrap': (out) => ['pxe', 'network', 'wrap', '-k', keyfile, '-o', out],
  };

  for (const [name, args] of Object.entries(commands)) {
    it(`${name} -o SYMLINK replaces the link's target and keeps the link`, async () => {
      const d = join(dir, `link-${name.replace(/ /g, '-')}`);
      mkdirSync(d);
      writeFileSync(join(d, 'target'), 'old');
      symlinkSync('target', join(d, 'out'));
      symlinkSync('missing', join(d, 'dangling'));
      expect((await runCli(args(join(d, 'out')))).status).toBe(0);
      expect(readlinkSync(join(d, 'out'))).toBe('target');
      expect(readFileSync(join(d, 'target')).subarray(0, 6).toString('hex')).toBe('fd377a585a00');
      expect((await runCli(args(join(d, 'dangling')))).status).toBe(0);
      expect(lstatSync(join(d, 'dangling')).isSymbolicLink()).toBe(true);
      expect(statSync(join(d, 'missing')).isFile()).toBe(true);
      expect(readdirSync(d).filter((f) => TEMP.test(f))).toEqual([]);
    });

    it.skipIf(needs({ tools: ['mkfifo'] }))(`${name} -o FIFO writes into the FIFO`, async () => {
      const fifo = join(dir, `fifo-${name.replace(/ /g, '-')}`);
      execFileSync('mkfifo', [fifo]);
      // The reader is another process: opening a FIFO blocks until both ends are open.
      const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'ignore'] });
      const chunks: Buffer[] = [];
      reader.stdout.on('data', (c: Buffer) => chunks.push(c));
      const readerDone = new Promise((resolve) => reader.on('close', resolve));
      const r = await runCli(args(fifo));
      await readerDone;
      expect(r.status).toBe(0);
      expect(Buffer.concat(chunks).subarray(0, 6).toString('hex')).toBe('fd377a585a00');
      expect(lstatSync(fifo).isFIFO()).toBe(true);
    });

    it.skipIf(needs({ root: true, tools: ['mknod'] }))(`${name} -o CHAR-DEVICE writes into the device`, async () => {
      const node = join(dir, `null-${name.replace(/ /g, '-')}`);
      execFileSync('mknod', [node, 'c', '1', '3']);
      const r = await runCli(args(node));
      expect(r).toMatchObject({ status: 0, stderr: '' });
      expect(lstatSync(node).isCharacterDevice()).toBe(true);
      expect(readdirSync(dir).filter((f) => TEMP.test(f))).toEqual([]);
    });
  }
});

describe.skipIf(needs({ tools: ['xz'] }))('interrupted outputs leave nothing (FINDINGS 2, 4)', () => {
  const dir = tmpDir();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`iso ignition embed -o FILE, ${signal}: no temporary file, no output`, async () => {
      const d = join(dir, `embed-${signal}`);
      mkdirSync(d);
      const iso = bigIso(d);
      const child = startCli(['iso', 'ignition', 'embed', '-o', join(d, 'out.iso'), iso], { input: IGN });
      const r = await interruptWhenWriting(child, d, signal);
      expect(r.status).toBe(signal === 'SIGINT' ? 130 : 143);
      expect(readdirSync(d)).toEqual(['big.iso']);
    });
  }

  it.skipIf(needs({ tools: ['xorriso'] }))('iso extract pxe, SIGINT: no truncated file under the final name; a rerun works', async () => {
    const d = join(dir, 'extract');
    const tree = join(d, 'tree', 'images', 'pxeboot');
    mkdirSync(tree, { recursive: true });
    writeFileSync(join(tree, 'rootfs.img'), Buffer.alloc(12345, 1));
    const iso = join(d, 'live.iso');
    execFileSync('xorriso', ['-as', 'mkisofs', '-quiet', '-o', iso, '-V', 'NestOS', join(d, 'tree')], { stdio: 'pipe' });
    // Make rootfs.img 1.5 GiB long (its both-endian length field), over a sparse tail.
    const image = readFileSync(iso);
    const pattern = Buffer.from([0x39, 0x30, 0, 0, 0, 0, 0x30, 0x39]);
    const at = image.indexOf(pattern);
    expect(at).toBeGreaterThan(0);
    const big = 1.5 * 2 ** 30;
    image.writeUInt32LE(big, at);
    image.writeUInt32BE(big, at + 4);
    writeFileSync(iso, image);
    truncateSync(iso, 2 * 2 ** 30);
    const out = join(d, 'out');
    mkdirSync(out);
    const r = await interruptWhenWriting(startCli(['iso', 'extract', 'pxe', '-o', out, iso]), out, 'SIGINT');
    expect(r.status).toBe(130);
    expect(readdirSync(out)).toEqual([]);
  });
});

describe('refusals write nothing (FINDINGS 13, 14)', () => {
  const dir = tmpDir();

  it('pxe network unwrap -C with two keyfiles of one basename writes neither', async () => {
    const initrd = new Initrd();
    initrd.set('etc/coreos-firstboot-network/eth0.nmconnection', Buffer.from('a'));
    initrd.set('etc/coreos-firstboot-network/sub/eth0.nmconnection', Buffer.from('b'));
    const img = join(dir, 'two.img');
    writeFileSync(img, await initrd.toXz());
    const out = join(dir, 'two-out');
    const r = await runCli(['pxe', 'network', 'unwrap', '-C', out, img]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('File exists (os error 17)');
    expect(readdirSync(out)).toEqual([]);
  });

  it('iso -o EXISTING fails before copying anything', async () => {
    const d = join(dir, 'existing');
    mkdirSync(d);
    const iso = bigIso(d);
    writeFileSync(join(d, 'out.iso'), 'keep');
    const r = await runCli(['iso', 'kargs', 'modify', '-a', 'x=1', '-o', join(d, 'out.iso'), iso]);
    expect(r.stderr).toBe(`Error: persisting output file to ${join(d, 'out.iso')}\n\nCaused by:\n    File exists (os error 17)\n`);
    expect(readFileSync(join(d, 'out.iso'), 'utf8')).toBe('keep');
    expect(readdirSync(d).sort()).toEqual(['big.iso', 'out.iso']);
  });
});

describe.skipIf(needs({ root: true, tools: ['mount', 'umount', 'xz'] }))('a full or read-only file system (FINDINGS 3, 13)', () => {
  const dir = tmpDir();
  const mnt = join(dir, 'mnt');
  mkdirSync(mnt);
  const mounted: string[] = [];
  afterAll(() => {
    for (const m of mounted.reverse()) execFileSync('umount', [m]);
  });
  function tmpfs(name: string, options: string): string {
    const m = join(mnt, name);
    mkdirSync(m);
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', m]);
    mounted.push(m);
    return m;
  }

  /** An initrd with one 2 MiB keyfile and one big member, for a 1 MiB file system. */
  async function bigInitrd(): Promise<string> {
    const initrd = new Initrd();
    initrd.set('etc/coreos-firstboot-network/big.nmconnection', Buffer.alloc(2 << 20, 0x61));
    const path = join(dir, 'big-initrd.img');
    writeFileSync(path, await initrd.toXz());
    return path;
  }

  it('dev extract initrd -C and pxe network unwrap -C on ENOSPC: a clear error, no partial file', async () => {
    const img = await bigInitrd();
    for (const args of [
      ['dev', 'extract', 'initrd', '-C'],
      ['pxe', 'network', 'unwrap', '-C'],
    ]) {
      const full = tmpfs(`full-${args[0]}`, 'size=1m');
      const r = await runCli([...args, full, img]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^Error: writing \S+big\.nmconnection\n\nCaused by:\n {4}No space left on device \(os error 28\)\n$/);
      expect(execFileSync('find', [full, '-type', 'f']).toString()).toBe('');
    }
  });

  it('iso -o on ENOSPC and on a read-only mount: a clear error, nothing left', async () => {
    const full = tmpfs('full-iso', 'size=1m');
    const iso = join(dir, 'padded.iso');
    writeFileSync(iso, readFileSync(pristineIso('embed-areas-2022-09')));
    truncateSync(iso, 4 << 20);
    const r = await runCli(['iso', 'kargs', 'modify', '-a', 'x=1', '-o', join(full, 'out.iso'), iso]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('No space left on device (os error 28)');
    expect(readdirSync(full)).toEqual([]);
    const ro = tmpfs('ro', 'ro,size=1m');
    const r2 = await runCli(['iso', 'kargs', 'modify', '-a', 'x=1', '-o', join(ro, 'out.iso'), iso]);
    expect(r2.stderr).toBe('Error: creating temporary file\n\nCaused by:\n    Read-only file system (os error 30)\n');
    const r3 = await runCli(['dev', 'extract', 'initrd', '-C', join(ro, 'sub'), await bigInitrd()]);
    expect(r3.status).toBe(1);
    expect(r3.stderr).toContain('Read-only file system (os error 30)');
    const r4 = await runCli(['dev', 'extract', 'initrd', '-C', ro, await bigInitrd()]);
    expect(r4.stderr).toContain('Read-only file system (os error 30)');
  });

  it('iso -o EXISTING on a small file system says "File exists", not "No space left" (it copied first)', async () => {
    const small = tmpfs('small-existing', 'size=1m');
    writeFileSync(join(small, 'out.iso'), 'keep');
    const iso = bigIso(dir);
    const r = await runCli(['iso', 'kargs', 'modify', '-a', 'x=1', '-o', join(small, 'out.iso'), iso]);
    expect(r.stderr).toContain('File exists (os error 17)');
    expect(readdirSync(small)).toEqual(['out.iso']);
  });
});
