import { describe, expect, it } from 'vitest';
import { open } from 'node:fs/promises';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { copyWithRegions, plannedWrites, streamWithRegions, writeRegions, type Region } from '../../src/live/region.js';
import { writeAtomically } from '../../src/util/atomic-file.js';
import { errorChain } from '../../src/util/errors.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir();
const input = Buffer.alloc(700_000);
for (let i = 0; i < input.length; i++) input[i] = (i * 7) & 0xff;

function regions(): Region[] {
  return [
    { offset: 500_000, length: 4, contents: Buffer.from('zzzz'), modified: true },
    { offset: 10, length: 3, contents: Buffer.from('abc'), modified: true },
    { offset: 100, length: 3, contents: Buffer.from('not'), modified: false },
  ];
}

function expected(): Buffer {
  const out = Buffer.from(input);
  out.write('zzzz', 500_000);
  out.write('abc', 10);
  return out;
}

async function collect(fn: (out: PassThrough) => Promise<void>): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await fn(out);
  return Buffer.concat(chunks);
}

describe('regions in the three output modes', () => {
  it('in place, copy and stream give the same bytes', async () => {
    const inPlace = join(dir, 'in-place.bin');
    writeFileSync(inPlace, input);
    const h = await open(inPlace, 'r+');
    await writeRegions(h, regions());
    await h.close();
    expect(readFileSync(inPlace).equals(expected())).toBe(true);

    const src = join(dir, 'src.bin');
    writeFileSync(src, input);
    const inH = await open(src, 'r');
    const copyPath = join(dir, 'copy.bin');
    const outH = await open(copyPath, 'w');
    await copyWithRegions(inH, outH, regions());
    await outH.close();
    expect(readFileSync(copyPath).equals(expected())).toBe(true);

    const streamed = await collect((out) => streamWithRegions(inH, out, regions()));
    await inH.close();
    expect(streamed.equals(expected())).toBe(true);
    expect(readFileSync(src).equals(input)).toBe(true);
  });

  it('an atomic file made as a kernel copy (copyFrom) gets the regions and mode 0600, whatever the umask', async () => {
    const src = join(dir, 'src-kernel.bin');
    writeFileSync(src, input, { mode: 0o644 });
    const copyPath = join(dir, 'copy-kernel.bin');
    const umask = process.umask(0o002);
    try {
      await writeAtomically(copyPath, { noClobber: true, mode: 0o600, copyFrom: src }, (file) => writeRegions(file.handle, regions()));
    } finally {
      process.umask(umask);
    }
    expect(readFileSync(copyPath).equals(expected())).toBe(true);
    expect(statSync(copyPath).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).filter((n) => n.includes('-temp-'))).toEqual([]);

    // A copy that fails leaves no temporary file.
    const missing = writeAtomically(
      join(dir, 'never.bin'),
      { noClobber: true, copyFrom: join(dir, 'no-such-source') },
      async () => undefined,
    );
    await expect(missing).rejects.toThrow('copying input to temporary file');
    expect(readdirSync(dir).filter((n) => n.includes('-temp-') || n === 'never.bin')).toEqual([]);
  });

  it('streams inputs larger than one 4 MiB read', async () => {
    const big = Buffer.alloc((9 << 20) | 12345);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32LE(i, i);
    const src = join(dir, 'big.bin');
    writeFileSync(src, big);
    const h = await open(src, 'r');
    const streamed = await collect((out) =>
      streamWithRegions(h, out, [{ offset: 5 << 20, length: 3, contents: Buffer.from('xyz'), modified: true }]),
    );
    await h.close();
    big.write('xyz', 5 << 20);
    expect(streamed.equals(big)).toBe(true);
  });

  it('checks lengths and overlaps before writing', () => {
    expect(() => plannedWrites([{ offset: 0, length: 4, contents: Buffer.from('abc'), modified: true }])).toThrow(
      'expected region contents length 4, found 3',
    );
    expect(() =>
      plannedWrites([
        { offset: 10, length: 10, contents: Buffer.alloc(10), modified: true },
        { offset: 15, length: 10, contents: Buffer.alloc(10), modified: true },
      ]),
    ).toThrow('region starting at 15 precedes current offset 20');
  });

  it('a region past the end of the input fails to stream with upstream wording', async () => {
    const src = join(dir, 'short.bin');
    writeFileSync(src, Buffer.alloc(100));
    const h = await open(src, 'r');
    const err = await collect((out) =>
      streamWithRegions(h, out, [{ offset: 200, length: 1, contents: Buffer.from('x'), modified: true }]),
    ).catch((e: unknown) => e);
    await h.close();
    expect(errorChain(err)).toEqual(['copying bytes from 0 to 200', 'expected to copy 200 bytes but instead copied 100 bytes']);
  });
});
