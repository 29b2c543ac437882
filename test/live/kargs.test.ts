import { describe, expect, it } from 'vitest';
import { KargsEditor, applyKargs } from '../../src/live/kargs.js';

describe('KargsEditor (SPEC 4.9.2)', () => {
  it.each([
    ['foo', 'bar foobar'],
    ['bar', 'foo foobar'],
    ['foobar', 'foo bar'],
    ['foo bar', 'foobar'],
  ])('delete %s from "foo bar foobar"', (d, out) => {
    expect(applyKargs('foo bar foobar', { delete: [d] })).toBe(out);
  });

  it('trims values and leaves overlapping duplicates', () => {
    expect(applyKargs('foo=val bar baz=val', { delete: ['   foo=val'] })).toBe('bar baz=val');
    expect(applyKargs('a a', { delete: ['a'] })).toBe('a');
  });

  it('applies delete, append, replace in fixed order', () => {
    const input = 'foo mitigations=auto,nosmt console=tty0 bar console=ttyS0,115200n8 baz';
    const out = applyKargs(input, {
      replace: ['mitigations=auto,nosmt=auto'],
      append: ['console=ttyS1,115200n8'],
      delete: ['console=ttyS0,115200n8'],
    });
    expect(out).toBe('foo mitigations=auto console=tty0 bar baz console=ttyS1,115200n8');
  });

  it('replace: absent keys change nothing, bad syntax fails, $ is literal', () => {
    expect(applyKargs('a=1 b=2', { replace: ['c=1=2'] })).toBe('a=1 b=2');
    expect(applyKargs('a=1 b=2', { replace: ['a=1=$&x'] })).toBe('a=$&x b=2');
    expect(() => applyKargs('a', { replace: ['a=b'] })).toThrow('Wrong input, format should be: KEY=OLD=NEW');
    expect(() => applyKargs('a', { replace: ['a=b=c=d'] })).toThrow('Wrong input, format should be: KEY=OLD=NEW');
  });

  it('append-if-missing and maybeApply', () => {
    expect(new KargsEditor({ appendIfMissing: ['a', 'c'] }).apply('a b')).toBe('a b c');
    expect(new KargsEditor().maybeApply('a b')).toBeUndefined();
    expect(new KargsEditor({ append: [], delete: ['x'] }).maybeApply(' a  b ')).toBe('a  b');
  });
});
