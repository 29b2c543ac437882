// `npm run demo` on a fresh machine (issue 16 item 5): the demo runs with PATH
// restricted to symlinks of only the tools such a machine has (Node, npm,
// python3 and Debian's essential packages: coreutils, util-linux, mount; no
// sgdisk, xorriso, cpio, xz, zstd, gpg), exits 0, shows every headline
// command and leaves nothing behind.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tmpDir } from '../helpers/tmp.js';

/** What a fresh Debian machine of this kind has (plus node, npm, python3). */
const FRESH_TOOLS = [
  'bash',
  'sh',
  'env',
  'cat',
  'ls',
  'rm',
  'rmdir',
  'mkdir',
  'mktemp',
  'truncate',
  'dirname',
  'basename',
  'id',
  'grep',
  'sed',
  'head',
  'tail',
  'printf',
  'echo',
  'sleep',
  'kill',
  'seq',
  'cp',
  'cmp',
  'tr',
  'xargs',
  'dd',
  'sha256sum',
  'cut',
  'wc',
  'sort',
  'uname',
  'node',
  'npm',
  'python3',
  'partx',
  'lsblk',
  'losetup',
  'blkid',
  'mount',
  'umount',
];
const ABSENT = ['sgdisk', 'xorriso', 'genisoimage', 'cpio', 'xz', 'zstd', 'gpg'];

/** The real program: /usr/bin or /bin first (a version-manager shim needs tools a fresh machine lacks). */
function locate(tool: string): string | undefined {
  for (const dir of ['/usr/bin', '/bin', '/usr/sbin', '/sbin']) if (existsSync(join(dir, tool))) return join(dir, tool);
  const found = spawnSync('sh', ['-c', `command -v "$1"`, 'sh', tool], { encoding: 'utf8' }).stdout.trim();
  return found === '' ? undefined : found;
}

describe('the demo on a fresh machine', () => {
  it('exits 0 with only the tools a fresh machine has, shows every headline command, leaves nothing', () => {
    const dir = tmpDir();
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    for (const tool of FRESH_TOOLS) {
      const path = locate(tool);
      if (path !== undefined) symlinkSync(path, join(bin, tool));
    }
    for (const tool of ABSENT) expect(existsSync(join(bin, tool))).toBe(false);
    const tmp = join(dir, 'tmp');
    mkdirSync(tmp);
    const r = spawnSync('bash', ['scripts/demo.sh'], {
      cwd: ROOT,
      env: { PATH: bin, HOME: dir, TMPDIR: tmp, LANG: 'C.UTF-8' },
      encoding: 'utf8',
      timeout: 600_000,
    });
    const out = `${r.stdout}${r.stderr}`;
    expect(r.status, out).toBe(0);
    expect(out).toContain('list-stream');
    expect(out).toContain('Install complete.');
    expect(out).toMatch(/Partitions \((sgdisk -p|sgdisk is not installed: the installer's own GPT reader)\)/);
    expect(out).toMatch(/GPT, 512-byte sectors, \d+ partitions/);
    expect(out).toContain('pxe ignition wrap');
    expect(out).toContain('pxe ignition unwrap');
    expect(out).toContain('nestos-installer download -u http://127.0.0.1:');
    expect(out).toContain('iso ignition embed');
    expect(out).toContain('identical to the pristine fixture');
    if (process.getuid?.() === 0) expect(out).toContain('ignition/config.ign on the boot partition');
    // Nothing left: the demo's work directory, loop devices, servers.
    expect(readdirSync(tmp)).toEqual([]);
    if (process.getuid?.() === 0) expect(execFileSync('losetup', ['-a'], { encoding: 'utf8' })).not.toContain(tmp);
  });
});
