// Finding the osmet file (SPEC 3.3, 3.3.1) and install's source selection,
// on a regular-file target (E8) so no root is needed.

import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Encoder, encodeHeader } from '../../src/osmet/format.js';
import { findOsmet } from '../../src/source/osmet-location.js';
import { runCli } from '../helpers/cli.js';
import { needs } from '../helpers/env.js';
import { buildSyntheticImage, refEncode } from '../helpers/osmet.js';
import { tmpDir } from '../helpers/tmp.js';

function headerOnly(path: string, arch: string, sector: number, description = `${arch} ${sector}`): void {
  writeFileSync(
    path,
    encodeHeader(new Encoder(), { appVersion: '0.20.0', sectorSize: sector, osDescription: description, osArchitecture: arch }).finish(),
  );
}

describe('findOsmet', () => {
  const dir = tmpDir('nestos-osmet-find-');

  it('takes the first file in name order matching architecture and sector size', async () => {
    const d = join(dir, 'a');
    mkdirSync(join(d, 'a-subdir.osmet'), { recursive: true });
    headerOnly(join(d, 'c.osmet'), 'x86_64', 512, 'third');
    headerOnly(join(d, 'b.osmet'), 'x86_64', 512, 'second');
    headerOnly(join(d, 'a.osmet'), 'x86_64', 4096, 'first (4K)');
    headerOnly(join(d, 'B.osmet'), 'aarch64', 512, 'upper case sorts first');
    expect((await findOsmet(d, 'x86_64', 512))?.header.osDescription).toBe('second');
    expect((await findOsmet(d, 'x86_64', 4096))?.path).toBe(join(d, 'a.osmet'));
    expect((await findOsmet(d, 'aarch64', 512))?.path).toBe(join(d, 'B.osmet'));
    expect(await findOsmet(d, 's390x', 512)).toBeUndefined();
    expect(await findOsmet(join(dir, 'missing'), 'x86_64', 512)).toBeUndefined();
  });

  it('a file that is not osmet is an error, as upstream', async () => {
    const d = join(dir, 'b');
    mkdirSync(d);
    writeFileSync(join(d, 'README'), 'these are osmet files\n');
    await expect(findOsmet(d, 'x86_64', 512)).rejects.toThrow(`reading osmet file header ${join(d, 'README')}`);
  });
});

describe.skipIf(needs({ tools: ['python3'] }))('install source selection', () => {
  const dir = tmpDir('nestos-osmet-select-');
  const img = buildSyntheticImage(join(dir, 'img'), 'NestOS For Container 22.03-LTS', 'x86_64');
  const osmetDir = join(dir, 'osmet');
  mkdirSync(osmetDir);
  refEncode(img.spec, img.image, join(osmetDir, 'nestos-22.03-metal.x86_64.osmet'));
  const env = { NESTOS_INSTALLER_OSMET_DIR: osmetDir, NESTOS_INSTALLER_OSTREE_REPO: img.repo };
  const target = (name: string) => {
    const t = join(dir, name);
    writeFileSync(t, Buffer.alloc(6 << 20, 0xa5));
    return t;
  };

  it('with no image source, osmet comes first: banner, no signature, the image written', async () => {
    const t = target('t1');
    const r = await runCli(['install', '--architecture', 'x86_64', t], { env });
    expect(r.stderr).toContain('Installing NestOS For Container 22.03-LTS x86_64 (512-byte sectors)\n');
    expect(r.stderr).toContain('Install complete.');
    expect(r.stderr).not.toMatch(/signature/i);
    expect(r.status).toBe(0);
    const written = readFileSync(t);
    expect(
      createHash('sha256')
        .update(written.subarray(0, 4 << 20))
        .digest('hex'),
    ).toBe(img.sha256);
    // Past the image: untouched, but for the empty backup GPT of the hold-back table at the very end.
    expect(written.subarray(4 << 20, (6 << 20) - 64 * 1024).equals(Buffer.alloc((2 << 20) - 64 * 1024, 0xa5))).toBe(true);
  });

  it('--stream skips osmet; --offline with --stream still uses it', async () => {
    const t = target('t2');
    const base = join(dir, 'no-streams');
    const r = await runCli(['install', '--architecture', 'x86_64', '--stream', 'stable', '--stream-base-url', base, t], { env });
    expect(r.stderr).toMatch(/^Downloading x86_64 metal image \(raw\.xz\) and signature referenced from /);
    expect(r.status).toBe(1);
    const o = await runCli(['install', '--offline', '--architecture', 'x86_64', '--stream', 'stable', t], { env });
    expect(o.stderr).toContain('Installing NestOS For Container 22.03-LTS x86_64 (512-byte sectors)\n');
    expect(o.status).toBe(0);
  });

  it('no match for the architecture: the stream without --offline, the upstream error with it', async () => {
    const t = target('t3');
    const before = readFileSync(t);
    const r = await runCli(['install', '--offline', '--architecture', 'aarch64', t], { env });
    expect(r.stderr).toBe('Error: cannot perform offline install; metadata missing\n');
    expect(r.status).toBe(1);
    const s = await runCli(['install', '--architecture', 'aarch64', '--stream-base-url', join(dir, 'nowhere'), t], { env });
    expect(s.stderr).toMatch(/^Downloading aarch64 metal image \(raw\.xz\) and signature referenced from /);
    expect(readFileSync(t).equals(before)).toBe(true);
  });

  it('a broken osmet file on a file target: the error, and the table reset', async () => {
    const bad = join(dir, 'bad-osmet');
    mkdirSync(bad);
    copyFileSync(join(osmetDir, 'nestos-22.03-metal.x86_64.osmet'), join(bad, 'x.osmet'));
    const t = target('t4');
    const r = await runCli(['install', '--architecture', 'x86_64', t], {
      env: { ...env, NESTOS_INSTALLER_OSMET_DIR: bad, NESTOS_INSTALLER_OSTREE_REPO: join(dir, 'empty-repo') },
    });
    expect(r.stderr).toContain('Error: install failed');
    expect(r.stderr).toMatch(/opening .*empty-repo\/objects\/.*\.file\n/);
    expect(r.status).toBe(1);
    // The first MiB was never committed: no image bytes there.
    expect(
      readFileSync(t)
        .subarray(0, 1 << 20)
        .equals(readFileSync(img.image).subarray(0, 1 << 20)),
    ).toBe(false);
  });
});
