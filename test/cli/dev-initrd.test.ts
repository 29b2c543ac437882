import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Initrd } from '../../src/initrd/initrd.js';
import { runCli } from '../helpers/cli.js';
import { needs } from '../helpers/env.js';
import { fixture, tmpDir } from '../helpers/tmp.js';

const dir = tmpDir();
const compressed = join(dir, 'compressed.img');
writeFileSync(compressed, execFileSync('xz', ['-dc', fixture('initrd', 'compressed.img.xz')]));
const ALL = ['gzip', 'uncompressed-1', 'uncompressed-2', 'xz', 'zstd'].flatMap((d) => [`${d}/hello`, `${d}/world`]);
const lines = (names: string[]): string => names.map((n) => `${n}\n`).join('');

describe('dev show initrd (SPEC 5.6, R45)', () => {
  it('lists the 10 files of compressed.img in sorted order, from a file and from stdin', async () => {
    expect((await runCli(['dev', 'show', 'initrd', compressed])).out).toBe(lines(ALL));
    expect((await runCli(['dev', 'show', 'initrd', '-'], { input: readFileSync(compressed) })).out).toBe(lines(ALL));
  });

  it.each([
    [['*hello'], ALL.filter((n) => n.endsWith('hello'))],
    [['gzip/*'], ['gzip/hello', 'gzip/world']],
    [
      ['gzip*', 'xz*'],
      ['gzip/hello', 'gzip/world', 'xz/hello', 'xz/world'],
    ],
    [['z'], []],
    [['uncompressed-*'], ALL.filter((n) => n.startsWith('uncompressed'))],
  ])('filters %j', async (globs, expected) => {
    const r = await runCli(['dev', 'show', 'initrd', compressed, ...globs]);
    expect(r).toMatchObject({ status: 0, out: lines(expected) });
  });

  it('errors: bad glob, junk input, missing file', async () => {
    const glob = await runCli(['dev', 'show', 'initrd', compressed, 'a**']);
    expect(glob.stderr).toBe(
      'Error: parsing glob patterns\n\nCaused by:\n    Pattern syntax error near position 0: recursive wildcards must form a single path component\n',
    );
    const junk = await runCli(['dev', 'show', 'initrd', '-'], { input: Buffer.alloc(300, 'j') });
    expect(junk.stderr).toBe('Error: decoding initrd\n\nCaused by:\n    0: reading CPIO entry\n    1: Invalid magic number\n');
    const missing = await runCli(['dev', 'show', 'initrd', join(dir, 'missing')]);
    expect(missing.stderr).toContain('No such file or directory (os error 2)');
  });
});

describe('dev extract initrd (SPEC 5.6, R46, R47)', () => {
  it('recreates the files in ., and a second run fails with "exists"', async () => {
    const cwd = join(dir, 'cwd');
    mkdirSync(cwd);
    const r = await runCli(['dev', 'extract', 'initrd', compressed], { cwd });
    expect(r).toMatchObject({ status: 0, out: '' });
    for (const n of ALL) expect(readFileSync(join(cwd, n), 'utf8')).toBe(n.endsWith('hello') ? 'HELLO\n' : 'WORLD\n');
    const again = await runCli(['dev', 'extract', 'initrd', compressed], { cwd });
    expect(again.status).toBe(1);
    expect(again.stderr).toBe('Error: opening ./gzip/hello\n\nCaused by:\n    File exists (os error 17)\n');
  });

  it('-C d -v from stdin prints d/<path>; filters extract only matching files', async () => {
    const target = join(dir, 'v');
    const r = await runCli(['dev', 'extract', 'initrd', '-C', target, '-v', '-'], { input: readFileSync(compressed) });
    expect(r.out).toBe(lines(ALL.map((n) => `${target}/${n}`)));
    const filtered = join(dir, 'f');
    await runCli(['dev', 'extract', 'initrd', '-C', filtered, compressed, 'xz/*']);
    expect(readdirSync(filtered)).toEqual(['xz']);
    expect(readdirSync(join(filtered, 'xz')).sort()).toEqual(['hello', 'world']);
  });

  it.each([
    ['traversal-absolute.img', '/etc/adjtime'],
    ['traversal-relative.img', '../f'],
  ])('%s is refused and nothing lands outside', async (name, path) => {
    const base = join(dir, `t-${name}`);
    const target = join(base, 'inner');
    mkdirSync(target, { recursive: true });
    const r = await runCli(['dev', 'extract', 'initrd', '-C', target, fixture('initrd', name)]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`Error: path ${path} contains path traversal\n`);
    expect(readdirSync(base)).toEqual(['inner']);
    expect(readdirSync(target)).toEqual([]);
  });

  it('hostile archives built here: nested .., symlinked parent, symlink at the file, file as parent', async () => {
    const outside = join(dir, 'outside');
    mkdirSync(outside);
    const run = async (members: Record<string, string>, prepare?: (target: string) => void) => {
      const target = join(dir, `h-${Math.random().toString(36).slice(2)}`);
      mkdirSync(target);
      prepare?.(target);
      const img = join(target, '..', `${target.split('/').pop()}.img`);
      writeFileSync(img, await new Initrd(new Map(Object.entries(members).map(([k, v]) => [k, Buffer.from(v)]))).toXz());
      return { target, r: await runCli(['dev', 'extract', 'initrd', '-C', target, img]) };
    };
    const nested = await run({ 'a/../../outside/x': 'x' });
    expect(nested.r.stderr).toBe('Error: path a/../../outside/x contains path traversal\n');

    const viaLink = await run({ 'link/x': 'pwned' }, (t) => symlinkSync(outside, join(t, 'link')));
    expect(viaLink.r.status).toBe(1);
    expect(viaLink.r.stderr).toContain(`creating ${viaLink.target}/link`);
    expect(viaLink.r.stderr).toContain('symbolic link');

    const atFile = await run({ victim: 'pwned' }, (t) => symlinkSync(join(outside, 'victim'), join(t, 'victim')));
    expect(atFile.r.stderr).toContain('File exists (os error 17)');

    const fileParent = await run({ a: 'file', 'a/b': 'under a file' });
    expect(fileParent.r.stderr).toContain(`creating ${fileParent.target}/a`);
    expect(readdirSync(outside)).toEqual([]);
  });

  it.skipIf(needs({ tools: ['cpio'] }))('a symlink entry in the archive is not recreated, so later files stay inside', async () => {
    const outside = join(dir, 'outside2');
    const tree = join(dir, 'symtree');
    mkdirSync(outside);
    mkdirSync(tree);
    symlinkSync(outside, join(tree, 'evil'));
    const first = execFileSync('sh', ['-c', 'echo evil | cpio -o -H newc --quiet'], { cwd: tree });
    const second = new Initrd(new Map([['evil/x', Buffer.from('pwned')]])).toCpio();
    const img = join(dir, 'sym.img');
    writeFileSync(img, Buffer.concat([first, second]));
    const target = join(dir, 'symout');
    const r = await runCli(['dev', 'extract', 'initrd', '-C', target, img]);
    expect(r.status).toBe(0);
    expect(readFileSync(join(target, 'evil', 'x'), 'utf8')).toBe('pwned');
    expect(readdirSync(outside)).toEqual([]);
    expect(existsSync(join(target, 'evil'))).toBe(true);
  });
});
