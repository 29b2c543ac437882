import { describe, expect, it } from 'vitest';
import { parseAString, parseDirectory, parseFileIdentifier, parseSusp, recordMatches } from '../../src/iso9660/directory.js';

function record(name: Buffer, opts: { dir?: boolean; address?: number; length?: number; susp?: Buffer } = {}): Buffer {
  const base = 33 + name.length + (name.length % 2 === 0 ? 1 : 0);
  const susp = opts.susp ?? Buffer.alloc(0);
  const len = base + susp.length + ((base + susp.length) % 2);
  const buf = Buffer.alloc(len);
  susp.copy(buf, base);
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

/** One SUSP entry: signature, length, version 1, data. */
function entry(sig: string, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(sig, 'latin1'), Buffer.from([4 + data.length, 1]), data]);
}
const nm = (flags: number, name: string) => entry('NM', Buffer.concat([Buffer.from([flags]), Buffer.from(name)]));
function ce(block: number, offset: number, length: number): Buffer {
  const data = Buffer.alloc(24);
  data.writeUInt32LE(block, 0);
  data.writeUInt32BE(block, 4);
  data.writeUInt32LE(offset, 8);
  data.writeUInt32BE(offset, 12);
  data.writeUInt32LE(length, 16);
  data.writeUInt32BE(length, 20);
  return entry('CE', data);
}

describe('Rock Ridge names (RRIP NM)', () => {
  it('a record keeps its primary name and gains the NM name; other entries are skipped', () => {
    const susp = Buffer.concat([entry('RR', Buffer.from([0x89])), entry('PX', Buffer.alloc(32)), nm(0, 'openEuler')]);
    const [r] = parseDirectory(record(Buffer.from('OPENEULE'), { dir: true, susp }));
    expect(r).toEqual({ kind: 'directory', name: 'OPENEULE', address: 30, length: 10, rrName: 'openEuler' });
  });

  it('joins NM parts marked CONTINUE, ignores CURRENT/PARENT, stops at ST', () => {
    const area = Buffer.concat([nm(1, 'EFI-'), nm(0, 'openEuler'), nm(2, ''), entry('ST', Buffer.alloc(0)), nm(0, 'late')]);
    expect(parseSusp(area, { name: undefined }).name?.join('')).toBe('EFI-openEuler');
    // A later NM without a CONTINUE before it starts a new name.
    expect(parseSusp(Buffer.concat([nm(0, 'a'), nm(0, 'b')]), { name: undefined }).name).toEqual(['b']);
  });

  it('a CE entry points to the rest (block * 2048 + offset), and the name continues there', () => {
    const first = parseSusp(Buffer.concat([nm(1, 'very-long-'), ce(40, 100, 64)]), { name: undefined });
    expect(first.next).toEqual({ offset: 40 * 2048 + 100, length: 64 });
    expect(first.continues).toBe(true);
    const rest = parseSusp(nm(0, 'name.cfg'), { name: first.name, continues: first.continues });
    expect(rest.name?.join('')).toBe('very-long-name.cfg');
  });

  it('a damaged entry ends the area without failing the record', () => {
    const bad = Buffer.concat([nm(0, 'good'), Buffer.from([0x4e, 0x4d, 0x02, 0x01])]);
    expect(parseSusp(bad, { name: undefined }).name).toEqual(['good']);
    const [r] = parseDirectory(record(Buffer.from('X.CFG;1'), { susp: Buffer.from([0x4e, 0x4d, 0xff, 1]) }));
    expect(r).toEqual({ kind: 'file', name: 'X.CFG', address: 30, length: 10 });
  });

  it('long-name matching: the Rock Ridge name exactly, or the primary name upper-cased', () => {
    const r = { kind: 'directory' as const, name: 'OPENEULE', address: 1, length: 1, rrName: 'openEuler' };
    expect(recordMatches(r, 'openEuler')).toBe(true);
    expect(recordMatches(r, 'openeuler')).toBe(false);
    expect(recordMatches(r, 'openeule')).toBe(true);
    expect(recordMatches({ kind: 'file', name: 'GRUB.CFG', address: 1, length: 1 }, 'grub.cfg')).toBe(true);
  });
});
