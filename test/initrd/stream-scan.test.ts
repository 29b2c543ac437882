import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Initrd } from '../../src/initrd/initrd.js';
import { ChunkSource, scanInitrd } from '../../src/initrd/stream-scan.js';
import { errorChain } from '../../src/util/errors.js';
import { needs } from '../helpers/env.js';
import { fixture } from '../helpers/tmp.js';

const unxz = (file: string): Buffer => execFileSync('xz', ['-dc', file]);

/** Scan `data` fed in chunks of `size` bytes; returns the members (last wins) or the error chain. */
async function scan(data: Buffer, size: number, keep: (n: string) => boolean = () => true): Promise<Map<string, string> | string[]> {
  let pos = 0;
  const source = new ChunkSource(async () => {
    if (pos >= data.length) return undefined;
    const chunk = Buffer.from(data.subarray(pos, pos + size));
    pos += chunk.length;
    return chunk;
  });
  const members = new Map<string, string>();
  try {
    await scanInitrd(source, keep, (e) => members.set(e.name, e.data.toString('latin1')));
  } catch (err) {
    return errorChain(err);
  }
  expect(pos).toBe(data.length);
  return new Map([...members].sort(([a], [b]) => (a < b ? -1 : 1)));
}

async function whole(data: Buffer, keep?: (n: string) => boolean): Promise<Map<string, string>> {
  const initrd = await Initrd.fromBuffer(data, keep === undefined ? undefined : { source: 'test', matches: keep });
  return new Map(initrd.names().map((n) => [n, initrd.get(n)?.toString('latin1') ?? '']));
}

const SIZES = [1, 3, 7, 64, 509, 4096, 1 << 20];

describe.skipIf(needs({ tools: ['xz'] }))('streaming initrd scan (SPEC 4.5.2) agrees with the buffer reader', () => {
  it.each(['compressed.img.xz', 'padded-names.img.xz', 'redundant.img.xz'])('%s, in chunks of any size', async (name) => {
    const data = unxz(fixture('initrd', name));
    const expected = await whole(data);
    expect(expected.size).toBeGreaterThan(0);
    for (const size of SIZES) expect(await scan(data, size)).toEqual(expected);
  });

  it('a filter keeps only matching members', async () => {
    const data = unxz(fixture('initrd', 'compressed.img.xz'));
    const keep = (n: string): boolean => n.endsWith('hello');
    expect([...((await scan(data, 100, keep)) as Map<string, string>).keys()]).toEqual([
      'gzip/hello',
      'uncompressed-1/hello',
      'uncompressed-2/hello',
      'xz/hello',
      'zstd/hello',
    ]);
  });

  it('our own xz archives, back to back with zero padding between them', async () => {
    const a = await new Initrd(new Map([['etc/a', Buffer.from('A'.repeat(5000))]])).toXz();
    const b = await new Initrd(new Map([['etc/b', Buffer.from('B')]])).toXz();
    const data = Buffer.concat([a, Buffer.alloc(512), b, Buffer.alloc(3)]);
    for (const size of SIZES) expect(await scan(data, size)).toEqual(await whole(data));
  });

  it('errors: truncation, garbage after a compressed cpio, a bad magic', async () => {
    const xz = await new Initrd(new Map([['f', Buffer.from('x')]])).toXz();
    const truncated = await scan(xz.subarray(0, xz.length - 3), 16);
    expect((truncated as string[])[0]).toBe('reading CPIO entry');

    const cpio = new Initrd(new Map([['f', Buffer.from('x')]])).toCpio();
    const garbage = await scan(gzipSync(Buffer.concat([cpio, Buffer.from('junk')])), 5);
    expect(garbage).toEqual(['found trailing garbage inside compressed archive']);
    expect(await scan(gzipSync(Buffer.concat([cpio, Buffer.alloc(400)])), 5)).toEqual(new Map([['f', 'x']]));

    expect(await scan(Buffer.from('070799' + '0'.repeat(200)), 8)).toEqual(['reading CPIO entry', 'Invalid magic number']);
    const cut = await scan(cpio.subarray(0, 60), 8);
    expect(cut).toEqual(['reading CPIO entry', 'failed to fill whole buffer']);
  });
});
