// The osmet file travels on live media inside rootfs.img (NESTOS.md): build an
// ISO whose images/pxeboot/rootfs.img is a newc cpio holding root.squashfs,
// the live-rootfs stamp and the osmet file; `iso extract pxe` copies it out,
// `dev extract initrd` reads the osmet file back out of that cpio, and it
// still unpacks to the image.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readOsmetHeader } from '../../src/osmet/file.js';
import { runCli } from '../helpers/cli.js';
import { needs } from '../helpers/env.js';
import { buildSyntheticImage, refEncode } from '../helpers/osmet.js';
import { tmpDir } from '../helpers/tmp.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe.skipIf(needs({ tools: ['xorriso', 'cpio', 'python3'] }))('osmet on live media', () => {
  it('iso extract pxe, then the osmet file out of rootfs.img, unpacks to the image', async () => {
    const dir = tmpDir('nestos-osmet-iso-');
    const img = buildSyntheticImage(join(dir, 'img'), 'NestOS For Container 22.03-LTS');
    const osmetName = 'nestos-22.03.20240101-metal.x86_64.osmet';

    // rootfs.img: an uncompressed newc cpio, as a NestOS build makes it.
    const members = join(dir, 'rootfs');
    mkdirSync(join(members, 'etc'), { recursive: true });
    const squashfs = Buffer.alloc(64 * 1024, 0x11);
    squashfs.write('hsqs', 0);
    writeFileSync(join(members, 'root.squashfs'), squashfs);
    writeFileSync(join(members, 'etc', 'nestos-live-rootfs'), '');
    refEncode(img.spec, img.image, join(members, osmetName));
    const osmet = readFileSync(join(members, osmetName));
    const tree = join(dir, 'tree');
    const pxe = join(tree, 'images', 'pxeboot');
    mkdirSync(pxe, { recursive: true });
    const cpio = execFileSync('cpio', ['-o', '-H', 'newc', '--quiet'], {
      cwd: members,
      input: ['root.squashfs', 'etc', 'etc/nestos-live-rootfs', osmetName].join('\n') + '\n',
      maxBuffer: 64 << 20,
    });
    expect(cpio.subarray(124, 128).toString()).toBe('hsqs');
    writeFileSync(join(pxe, 'rootfs.img'), cpio);
    writeFileSync(join(pxe, 'vmlinuz'), 'kernel\n');
    writeFileSync(join(pxe, 'initrd.img'), 'initrd\n');
    const iso = join(dir, 'nestos-22.03-live.x86_64.iso');
    execFileSync('xorriso', ['-as', 'mkisofs', '-quiet', '-o', iso, '-V', 'NestOS-22.03', '-R', '-J', tree], { stdio: 'pipe' });

    const out = join(dir, 'pxe');
    const extracted = await runCli(['iso', 'extract', 'pxe', '-o', out, iso]);
    expect(extracted.status).toBe(0);
    const rootfs = join(out, 'nestos-22.03-live.x86_64-rootfs.img');
    expect(sha256(readFileSync(rootfs))).toBe(sha256(cpio));

    const members2 = join(dir, 'members');
    const listed = await runCli(['dev', 'extract', 'initrd', '-C', members2, rootfs, '*.osmet']);
    expect(listed.stderr).toBe('');
    expect(listed.status).toBe(0);
    const back = join(members2, osmetName);
    expect(sha256(readFileSync(back))).toBe(sha256(osmet));
    expect((await readOsmetHeader(back)).osDescription).toBe('NestOS For Container 22.03-LTS');

    const raw = join(dir, 'image.raw');
    writeFileSync(raw, '');
    const unpacked = await runCli(['dev', 'extract', 'osmet', '--osmet', back, img.repo, raw]);
    expect(unpacked.stderr).toBe('');
    expect(unpacked.status).toBe(0);
    expect(sha256(readFileSync(raw))).toBe(img.sha256);
  });
});
