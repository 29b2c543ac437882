import { describe, expect, it } from 'vitest';
import { compileGlob } from '../../src/util/glob.js';

describe('compileGlob (Rust glob 0.3, SPEC 10.3)', () => {
  it.each([
    ['*hello', 'gzip/hello', true],
    ['gzip*', 'gzip/world', true],
    ['gzip/*', 'gzip/a/b', true],
    ['etc/coreos-firstboot-network/*', 'etc/coreos-firstboot-network/x/y', true],
    ['etc/coreos-firstboot-network/*', 'etc/coreos-firstboot-network', false],
    ['config.ign', 'config.ign', true],
    ['config.ign', 'configxign', false],
    ['config.ign', 'config.ign.bak', false],
    ['?', '/', true],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['[abc]x', 'bx', true],
    ['[a-c]x', 'dx', false],
    ['[!a-c]x', 'dx', true],
    ['[!a-c]x', 'ax', false],
    ['[]]', ']', true],
    ['[!]]', 'a', true],
    ['[!]]', ']', false],
    ['[/]', '/', true],
    ['[z-a]', 'm', false],
    ['**/x', 'x', true],
    ['**/x', 'a/b/x', true],
    ['**/x', 'ab', false],
    ['a/**/b', 'a/b', true],
    ['a/**/b', 'a/x/y/b', true],
    ['a/**', 'a/x/y', true],
    ['**', 'anything/at/all', true],
    ['Hello', 'hello', false],
    ['.hidden', '.hidden', true],
    ['*', '', true],
    ['a.b(c)+$^', 'a.b(c)+$^', true],
    ['\\*', '\\x', true],
    ['{a,b}', '{a,b}', true],
    ['ü*', 'über', true],
    ['?', '\u{1F600}', true],
    ['z', 'zstd/hello', false],
  ])('%s matches %s: %s', (pattern, s, expected) => {
    expect(compileGlob(pattern).matches(s)).toBe(expected);
  });

  it.each([
    ['***', 'Pattern syntax error near position 2: wildcards are either regular `*` or recursive `**`'],
    ['a**', 'Pattern syntax error near position 0: recursive wildcards must form a single path component'],
    ['a/**b', 'Pattern syntax error near position 4: recursive wildcards must form a single path component'],
    ['[abc', 'Pattern syntax error near position 0: invalid range pattern'],
    ['x[', 'Pattern syntax error near position 1: invalid range pattern'],
    ['[!]', 'Pattern syntax error near position 0: invalid range pattern'],
  ])('%s is an error', (pattern, message) => {
    expect(() => compileGlob(pattern)).toThrow(message);
  });
});

describe('recursive wildcard corner cases', () => {
  it.each([
    ['**', ''],
    ['**', 'abcde'],
    ['**', '.asdf'],
    ['**', '/x/.asdf'],
    ['some/**/needle.txt', 'some/needle.txt'],
    ['some/**/needle.txt', 'some/one/two/needle.txt'],
    ['**/*', 'abc'],
  ])('%s matches %s', (pattern, s) => {
    expect(compileGlob(pattern).matches(s)).toBe(true);
  });

  it.each([
    ['some/**/needle.txt', 'some/oneneedle.txt'],
    ['a/**/b', 'a/xb'],
  ])('%s does not match %s', (pattern, s) => {
    expect(compileGlob(pattern).matches(s)).toBe(false);
  });
});
