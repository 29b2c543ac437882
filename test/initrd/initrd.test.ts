import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Initrd } from '../../src/initrd/initrd.js';
import { compileGlob } from '../../src/util/glob.js';
import { errorChain } from '../../src/util/errors.js';
import { needs } from '../helpers/env.js';
import { fixture, tmpDir } from '../helpers/tmp.js';

const unxz = (file: string): Buffer => execFileSync('xz', ['-dc', file]);

const CONFIG = Buffer.from('{"ignition": {"version": "3.0.0"}\n');

describe('writing (SPEC 4.5.1)', () => {
  it('the 34-byte test config gives the 284-byte cpio and the 148-byte xz', async () => {
    const initrd = new Initrd(new Map([['config.ign', CONFIG]]));
    const cpio = initrd.toCpio();
    expect(cpio.length).toBe(284);
    expect(cpio.toString('latin1', 0, 110)).toBe(
      '070701' + ['0', '8180', '0', '0', '1', '0', '22', '0', '0', '0', '0', 'b', '0'].map((f) => f.padStart(8, '0')).join(''),
    );
    expect(cpio.toString('latin1', 110, 124)).toBe('config.ign\0\0\0\0');
    expect(cpio.subarray(124, 158)).toEqual(CONFIG);
    expect(cpio.toString('latin1', 160, 172)).toBe('070701000000');
    expect(cpio.toString('latin1', 270, 284)).toBe('TRAILER!!!\0\0\0\0');
    const xz = await initrd.toXz();
    expect(xz.length).toBe(148);
    expect(xz.subarray(0, 12).toString('hex')).toBe('fd377a585a0000016922de36');
    expect(xz.subarray(-4).toString('hex')).toBe('0001595a');
  });

  it('emits parent directories as the virtual cwd changes (SPEC example)', () => {
    const paths = ['c/f', 'c/a/b/d/f', 'd', 'c/g', 'c/a/c/f', 'a/b/c/d/e/f'];
    const cpio = new Initrd(new Map(paths.map((p) => [p, Buffer.from(p)]))).toCpio();
    const names: string[] = [];
    for (let pos = 0; ; ) {
      const namesize = parseInt(cpio.toString('latin1', pos + 94, pos + 102), 16);
      const filesize = parseInt(cpio.toString('latin1', pos + 54, pos + 62), 16);
      const name = cpio.toString('utf8', pos + 110, pos + 110 + namesize - 1);
      if (name === 'TRAILER!!!') break;
      names.push(name);
      pos += 110 + namesize + ((4 - ((110 + namesize) % 4)) % 4);
      pos += filesize + ((4 - (filesize % 4)) % 4);
    }
    expect(names).toEqual('a a/b a/b/c a/b/c/d a/b/c/d/e a/b/c/d/e/f c c/a c/a/b c/a/b/d c/a/b/d/f c/a/c c/a/c/f c/f c/g d'.split(' '));
  });

  it('an empty map is the trailer only: 124 bytes of cpio, 84 of xz', async () => {
    const initrd = new Initrd();
    expect(initrd.toCpio().length).toBe(124);
    expect((await initrd.toXz()).length).toBe(84);
  });

  it('round-trips non-ASCII names and sorts by UTF-8 bytes', async () => {
    const members = new Map([
      ['etc/ünïcode', Buffer.from('u')],
      ['etc/\u{1F600}', Buffer.from('emoji')],
      ['etc/\uFF21', Buffer.from('fullwidth')],
      ['x', Buffer.alloc(5, 1)],
    ]);
    const back = await Initrd.fromBuffer(await new Initrd(members).toXz());
    expect(back.names()).toEqual(['etc/ünïcode', 'etc/\uFF21', 'etc/\u{1F600}', 'x']);
    for (const [k, v] of members) expect(back.get(k)).toEqual(v);
  });
});

describe('reading the shared fixtures (SPEC 7.2)', () => {
  const hello = Buffer.from('HELLO\n');
  const world = Buffer.from('WORLD\n');

  it('compressed.img: 10 files from uncompressed, gzip, xz, zstd and uncompressed archives', async () => {
    const initrd = await Initrd.fromBuffer(unxz(fixture('initrd', 'compressed.img.xz')));
    const dirs = ['gzip', 'uncompressed-1', 'uncompressed-2', 'xz', 'zstd'];
    expect(initrd.names()).toEqual(dirs.flatMap((d) => [`${d}/hello`, `${d}/world`]));
    for (const d of dirs) {
      expect(initrd.get(`${d}/hello`)).toEqual(hello);
      expect(initrd.get(`${d}/world`)).toEqual(world);
    }
  });

  it.each([
    ['*hello', 5],
    ['gzip/*', 2],
    ['*', 10],
    ['z', 0],
    ['uncompressed-*', 4],
  ])('compressed.img with filter %s keeps %i files', async (glob, count) => {
    const initrd = await Initrd.fromBuffer(unxz(fixture('initrd', 'compressed.img.xz')), compileGlob(glob));
    expect(initrd.size).toBe(count);
  });

  it('padded-names.img: trailing NULs are stripped from names', async () => {
    const initrd = await Initrd.fromBuffer(unxz(fixture('initrd', 'padded-names.img.xz')));
    expect(initrd.names()).toEqual(['dir/hello', 'dir/world']);
    expect(initrd.get('dir/hello')).toEqual(Buffer.alloc(5000, 'z'));
    expect(initrd.get('dir/world')).toEqual(Buffer.alloc(4500, 'q'));
  });

  it('redundant.img: the last archive wins', async () => {
    const initrd = await Initrd.fromBuffer(unxz(fixture('initrd', 'redundant.img.xz')));
    expect(initrd.get('data/file')?.toString()).toBe('third\n');
  });

  it('traversal samples keep their names as stored', async () => {
    const abs = await Initrd.fromBuffer(readFileSync(fixture('initrd', 'traversal-absolute.img')));
    expect(abs.names()).toEqual(['/etc/adjtime']);
    const rel = await Initrd.fromBuffer(readFileSync(fixture('initrd', 'traversal-relative.img')));
    expect(rel.names()).toEqual(['../f']);
  });
});

describe.skipIf(needs({ tools: ['cpio', 'xz', 'gzip', 'zstd'] }))('archives made by the system tools', () => {
  const dir = tmpDir();
  const tree = join(dir, 'tree');
  mkdirSync(join(tree, 'etc', 'sub'), { recursive: true });
  writeFileSync(join(tree, 'config.ign'), CONFIG);
  writeFileSync(join(tree, 'etc', 'sub', 'big'), createHash('sha512').update('x').digest().toString('hex').repeat(4000));
  execFileSync('ln', ['-s', 'config.ign', join(tree, 'link')]);
  const cpio = execFileSync('sh', ['-c', 'find . | LC_ALL=C sort | cpio -o -H newc --quiet'], { cwd: tree });
  const compress = (tool: string, args: string[]): Buffer => execFileSync(tool, args, { input: cpio });

  it.each([
    ['uncompressed', (): Buffer => cpio],
    ['gzip', (): Buffer => compress('gzip', ['-c'])],
    ['xz (CRC64)', (): Buffer => compress('xz', ['-c'])],
    ['xz (CRC32, multi-block)', (): Buffer => compress('xz', ['-c', '--check=crc32', '--block-size=4096'])],
    ['zstd', (): Buffer => compress('zstd', ['-c', '-q'])],
    ['zstd (checksum, tiny blocks)', (): Buffer => compress('zstd', ['-c', '-q', '--check', '-B1024'])],
  ])('%s', async (_name, make) => {
    const initrd = await Initrd.fromBuffer(make());
    expect(initrd.names()).toEqual(['config.ign', 'etc/sub/big']);
    expect(initrd.get('config.ign')).toEqual(CONFIG);
    expect(initrd.get('etc/sub/big')?.length).toBe(128 * 4000);
  });

  it('xz then gzip then zstd then uncompressed, with zero padding between, last wins', async () => {
    const other = new Initrd(new Map([['config.ign', Buffer.from('second')]]));
    const data = Buffer.concat([
      compress('xz', ['-c', '--check=crc32']),
      Buffer.alloc(7),
      execFileSync('gzip', ['-c'], { input: other.toCpio() }),
      compress('zstd', ['-c', '-q']),
      Buffer.alloc(512),
      other.toCpio(),
      Buffer.alloc(3),
    ]);
    const initrd = await Initrd.fromBuffer(data, compileGlob('config.ign'));
    expect(initrd.names()).toEqual(['config.ign']);
    expect(initrd.get('config.ign')?.toString()).toBe('second');
  });

  it('our output: xz lists Check CRC32, xz -t passes, cpio -it lists config.ign', async () => {
    const xz = await new Initrd(new Map([['config.ign', CONFIG]])).toXz();
    const file = join(dir, 'wrapped.img');
    writeFileSync(file, xz);
    const robot = execFileSync('xz', ['--robot', '-l', file]).toString();
    expect(robot).toMatch(/^file\t1\t1\t148\t284\t.*\tCRC32\t/m);
    expect(execFileSync('xz', ['-lvv', file]).toString()).toMatch(/Check:\s+CRC32/);
    execFileSync('xz', ['-t', file]);
    const listed = execFileSync('sh', ['-c', 'xz -dc | cpio -it --quiet'], { input: xz }).toString();
    expect(listed).toBe('config.ign\n');
  });
});

describe('errors', () => {
  const messages = async (data: Buffer): Promise<string[]> => {
    try {
      await Initrd.fromBuffer(data);
    } catch (err) {
      return errorChain(err);
    }
    throw new Error('expected a failure');
  };

  it('junk input: invalid magic number', async () => {
    expect(await messages(Buffer.from('this is not an initrd\n'))).toEqual(['reading CPIO entry', 'Invalid magic number']);
  });

  it('a truncated archive', async () => {
    const cpio = new Initrd(new Map([['a', Buffer.alloc(100, 1)]])).toCpio();
    expect(await messages(cpio.subarray(0, 150))).toEqual(['reading CPIO entry contents', 'failed to fill whole buffer']);
    expect(await messages(cpio.subarray(0, 50))).toEqual(['reading CPIO entry', 'failed to fill whole buffer']);
  });

  it('bad hex and a name without NUL', async () => {
    const cpio = new Initrd(new Map([['a', Buffer.alloc(1)]])).toCpio();
    const badHex = Buffer.from(cpio);
    badHex.write('zz', 20, 'latin1');
    expect(await messages(badHex)).toEqual(['reading CPIO entry', 'Invalid hex u32 header field']);
    const noNul = Buffer.from(cpio);
    noNul[111] = 0x41;
    expect(await messages(noNul)).toEqual(['reading CPIO entry', 'Entry name was not NUL-terminated']);
  });

  it('070702 archives are read; non-UTF-8 names are refused', async () => {
    const cpio = new Initrd(new Map([['a', Buffer.from('x')]])).toCpio();
    const crc = Buffer.from(cpio);
    crc.write('070702', 0, 'latin1');
    expect((await Initrd.fromBuffer(crc)).get('a')?.toString()).toBe('x');
    const bad = Buffer.from(cpio);
    bad[110] = 0xff;
    expect(await messages(bad)).toEqual(['reading CPIO entry', 'Entry name was not valid UTF-8']);
  });

  it('non-zero data after the trailer inside a compressed archive', async () => {
    const cpio = Buffer.concat([new Initrd(new Map([['a', Buffer.from('x')]])).toCpio(), Buffer.alloc(100), Buffer.from('junk')]);
    const xz = execFileSync('xz', ['-c', '--check=crc32'], { input: cpio });
    expect(await messages(xz)).toEqual(['found trailing garbage inside compressed archive']);
    const padded = execFileSync('xz', ['-c'], { input: Buffer.concat([cpio.subarray(0, -4), Buffer.alloc(4)]) });
    expect((await Initrd.fromBuffer(padded)).names()).toEqual(['a']);
  });

  it('a truncated compressed archive', async () => {
    const xz = await new Initrd(new Map([['a', Buffer.alloc(1000, 7)]])).toXz();
    const chain = await messages(xz.subarray(0, xz.length - 10));
    expect(chain[0]).toBe('reading CPIO entry');
  });
});
