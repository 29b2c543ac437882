import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { createLimitTransform } from '../../src/io/limit.js';

async function run(chunks: number[], limit: number): Promise<number> {
  let total = 0;
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      total += chunk.length;
      cb();
    },
  });
  await pipeline(Readable.from(chunks.map((n) => Buffer.alloc(n))), createLimitTransform(limit, 'partition 4 ("data")'), sink);
  return total;
}

describe('limit (SPEC 2.9 step 6)', () => {
  it('exactly the limit then EOF is fine', async () => {
    expect(await run([100, 100, 56], 256)).toBe(256);
    expect(await run([], 0)).toBe(0);
  });
  it('one byte more is a collision', async () => {
    await expect(run([100, 100, 57], 256)).rejects.toThrow('collision with partition 4 ("data") at offset 256');
    await expect(run([1], 0)).rejects.toThrow('collision with partition 4 ("data") at offset 0');
  });
});
