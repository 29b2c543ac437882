import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { checkSha256, createSha256Transform } from '../../src/io/hash.js';
import { errorChain } from '../../src/util/errors.js';

describe('sha256 pass-through (E3)', () => {
  it('passes bytes unchanged and digests them', async () => {
    const data = [Buffer.from('hello '), Buffer.from('world')];
    const out: Buffer[] = [];
    const h = createSha256Transform();
    await pipeline(Readable.from(data), h.transform, new Writable({ write: (c: Buffer, _e, cb) => (out.push(c), cb()) }));
    expect(Buffer.concat(out).toString()).toBe('hello world');
    expect(h.digest()).toBe(createHash('sha256').update('hello world').digest('hex'));
    expect(h.digest()).toBe(h.digest());
  });

  it('a mismatch fails like a bad signature', () => {
    expect(() => checkSha256('sha256', 'ab', 'AB')).not.toThrow();
    let err: unknown;
    try {
      checkSha256('uncompressed-sha256', 'aa', 'bb');
    } catch (e) {
      err = e;
    }
    expect(errorChain(err)).toEqual(['uncompressed-sha256 verification failure', "hash mismatch, computed 'aa' but expected 'bb'"]);
  });
});
