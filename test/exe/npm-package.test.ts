// The npm package: `npm pack` holds only what runs (the bundle, keys, stream
// documents, man pages, README, LICENSE); `npm install -g` of the tarball in
// a fresh prefix gives a working command, its native codecs and its man pages.

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../helpers/env.js';
import { ROOT, tmpDir } from '../helpers/tmp.js';

const skip = needs({ tools: ['npm', 'tar', 'man', 'zstd', 'xz', 'cpio'] });

const ALLOWED = [
  /^package\/package\.json$/,
  /^package\/README\.md$/,
  /^package\/LICENSE$/,
  /^package\/dist\/main\.js(\.map)?$/,
  /^package\/dist\/package\.json$/,
  /^package\/dist\/[^/]+\.mjs(\.map)?$/,
  /^package\/keys\/signing-keys\.asc$/,
  /^package\/streams\/[^/]+\.json$/,
  /^package\/man\/nestos-installer[a-z-]*\.8$/,
];

describe.skipIf(skip)('npm pack, npm install -g', () => {
  const dir = tmpDir('nestos-npm-');
  const prefix = join(dir, 'prefix');
  let tarball = '';
  let entries: string[] = [];

  beforeAll(() => {
    // --ignore-scripts: the suite's dist/ is already built (pretest); no rebuild under running tests.
    const name = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim();
    tarball = join(dir, name);
    entries = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l !== '');
    execFileSync(
      'npm',
      ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel', 'error', tarball],
      {
        cwd: dir,
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: 900_000,
      },
    );
  }, 900_000);

  it('the tarball holds only what runs: no tests, fixtures, sources or executables', () => {
    expect(entries.filter((e) => !ALLOWED.some((re) => re.test(e)))).toEqual([]);
    expect(entries).toContain('package/dist/main.js');
    expect(entries).toContain('package/dist/package.json');
    expect(entries).toContain('package/dist/main.mjs');
    expect(entries).toContain('package/LICENSE');
    expect(entries).toContain('package/man/nestos-installer-install.8');
    expect(entries.some((e) => /\/(test|fixtures|src|scripts)\//.test(e) || e.endsWith('.ts'))).toBe(false);
  });

  it('installs a working nestos-installer: version, the native codecs, OpenPGP keys', () => {
    const bin = join(prefix, 'bin', 'nestos-installer');
    const version = execFileSync(bin, ['--version'], { encoding: 'utf8' });
    expect(version).toMatch(/^nestos-installer \d+\.\d+\.\d+/);
    const tree = join(dir, 'tree');
    execFileSync('sh', [
      '-c',
      `mkdir -p '${tree}/etc' && echo hi > '${tree}/etc/hello' && cd '${tree}' && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet | zstd -q > '${dir}/initrd.zst'`,
    ]);
    execFileSync('sh', [
      '-c',
      `cd '${tree}' && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet | xz -C crc32 > '${dir}/initrd.xz'`,
    ]);
    expect(execFileSync(bin, ['dev', 'show', 'initrd', join(dir, 'initrd.zst')], { encoding: 'utf8' })).toBe('etc/hello\n');
    expect(execFileSync(bin, ['dev', 'show', 'initrd', join(dir, 'initrd.xz')], { encoding: 'utf8' })).toBe('etc/hello\n');
    const installed = join(prefix, 'lib', 'node_modules', 'nestos-installer');
    expect(existsSync(join(installed, 'keys', 'signing-keys.asc'))).toBe(true);
    expect(readdirSync(installed).sort()).toEqual([
      'LICENSE',
      'README.md',
      'dist',
      'keys',
      'man',
      'node_modules',
      'package.json',
      'streams',
    ]);
  });

  it('links the man pages: man finds and renders nestos-installer-install', () => {
    const env = { ...process.env, MANPATH: join(prefix, 'share', 'man'), MANPAGER: 'cat', PAGER: 'cat', MANWIDTH: '80', LC_ALL: 'C.UTF-8' };
    const where = execFileSync('man', ['-w', 'nestos-installer-install'], { env, encoding: 'utf8' }).trim();
    // npm links <prefix>/share/man/man8/<page> to the package's man/ (man -w shows the target).
    expect(existsSync(join(prefix, 'share', 'man', 'man8', 'nestos-installer-install.8'))).toBe(true);
    expect(where).toBe(join(prefix, 'lib', 'node_modules', 'nestos-installer', 'man', 'nestos-installer-install.8'));
    expect(execFileSync('man', ['nestos-installer-install'], { env, encoding: 'utf8' })).toContain(
      'nestos-installer-install - Install NestOS',
    );
  });

  it('prints a bash completion script', () => {
    const script = execFileSync(join(prefix, 'bin', 'nestos-installer'), ['completion', 'bash'], { encoding: 'utf8' });
    writeFileSync(join(dir, 'c.bash'), script);
    expect(script).toContain('complete -F _nestos_installer nestos-installer');
  });
});
