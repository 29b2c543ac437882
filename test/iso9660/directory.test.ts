import { describe, expect, it } from 'vitest';
import { parseAString, parseDirectory, parseFileIdentifier } from '../../src/iso9660/directory.js';

function record(name: Buffer, opts: { dir?: boolean; address?: number; length?: number } = {}): Buffer {
  const len = 33 + name.length + (name.length % 2 === 0 ? 1 : 0);
  const buf = Buffer.alloc(len);
  buf[0] = len;
  buf.writeUInt32LE(opts.address ?? 30, 2);
  buf.writeUInt32LE(opts.length ?? 10, 10);
  buf[25] = opts.dir ? 2 : 0;
  buf[32] = name.length;
  name.copy(buf, 33);
  return buf;
}

describe('string decoding', () => {
  it.each([
    ['FILE.TXT;1', 'FILE.TXT'],
    ['ABC.;1', 'ABC'],
    ['ABC.', 'ABC'],
    ['NAMES/!"%&\'()*.+,-', 'NAMES.!"%&\'()*.+,-'],
    ['A;B', 'A.B'],
    ['lower_case', 'lower_case'],
  ])('file identifier %s', (raw, name) => {
    expect(parseFileIdentifier(Buffer.from(raw, 'latin1'))).toBe(name);
  });

  it('stops at NUL and rejects other bytes', () => {
    expect(parseFileIdentifier(Buffer.from('AB\0CD'))).toBe('AB');
    expect(() => parseFileIdentifier(Buffer.from([0x41, 0x7e]))).toThrow('invalid string name [65, 126]');
    expect(() => parseAString(Buffer.from('a#b'))).toThrow('invalid string name');
  });

  it('a-strings drop trailing spaces and keep ; and /', () => {
    expect(parseAString(Buffer.from('LINUX                           '))).toBe('LINUX');
    expect(parseAString(Buffer.from('a;b/c  '))).toBe('a;b/c');
  });
});

describe('directory records', () => {
  it('skips dot entries, follows padding to the next block, keeps order', () => {
    const block0 = Buffer.alloc(2048);
    let pos = 0;
    for (const r of [record(Buffer.from([0]), { dir: true }), record(Buffer.from([1]), { dir: true }), record(Buffer.from('B;1'))]) {
      r.copy(block0, pos);
      pos += r.length;
    }
    const block1 = Buffer.alloc(2048);
    record(Buffer.from('A'), { dir: true, address: 99, length: 2048 }).copy(block1, 0);
    const records = parseDirectory(Buffer.concat([block0, block1]));
    expect(records).toEqual([
      { kind: 'file', name: 'B', address: 30, length: 10 },
      { kind: 'directory', name: 'A', address: 99, length: 2048 },
    ]);
  });

  it('reports a record longer than the directory', () => {
    const buf = record(Buffer.from('X'));
    expect(() => parseDirectory(buf.subarray(0, 20))).toThrow('incomplete directory record; corrupt ISO?');
  });
});
