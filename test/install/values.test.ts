// Value syntaxes of install (SPEC 1.16.2-1.16.4, 3.8.5).
import { describe, expect, it } from 'vitest';
import { consoleHint, formatConsole, grubConsoleCommands, parseConsole } from '../../src/install/console.js';
import { formatIgnitionHash, parseIgnitionHash, verifyIgnitionHash } from '../../src/install/ignition-hash.js';
import { filterMatches, parsePartitionFilters } from '../../src/blockdev/partition-filter.js';
import { errorChain } from '../../src/util/errors.js';

describe('console specs', () => {
  it.each([
    ['ttyS0', 'ttyS0,9600n8'],
    ['ttyS2,5o', 'ttyS2,5o8'],
    ['ttyS1,1234567e5', 'ttyS1,1234567e5'],
    ['ttyAMA1,115200', 'ttyAMA1,115200n8'],
    ['tty0', 'tty0'],
    ['hvc0', 'hvc0'],
    ['ttysclp0', 'ttysclp0'],
  ])('%s → %s', (spec, canonical) => expect(formatConsole(parseConsole(spec))).toBe(canonical));

  it.each([
    ['console=tty0', 'spec should not start with "console="'],
    ['/dev/tty0', 'spec should not start with "/dev/"'],
    ['ttyS9999999999999999999', "couldn't parse port"],
    ['ttyS256', "couldn't parse port"],
    ['ttyS0,999999999999999999999', "couldn't parse speed"],
    ...[
      'foo',
      'ztty0',
      'tty0z',
      'ttyS0z',
      'tty1',
      'hvc1',
      'ttysclp1',
      'ttyS0,',
      'ttyS0,z',
      'ttyS0,115200p8',
      'ttyS0,115200n4',
      'ttyS0,115200n8r',
      'ttyB0',
    ].map((s) => [s, 'invalid or unsupported console argument']),
  ])('rejects %s', (spec, message) => expect(() => parseConsole(spec)).toThrow(message));

  it('builds GRUB commands', () => {
    expect(grubConsoleCommands(['ttyS1,115200', 'tty0'].map(parseConsole))).toEqual([
      'serial --unit=1 --speed=115200 --word=8 --parity=no',
      'terminal_input console serial',
      'terminal_output console serial',
    ]);
    expect(grubConsoleCommands([parseConsole('ttyS0,9600e7')])).toEqual([
      'serial --unit=0 --speed=9600 --word=7 --parity=even',
      'terminal_input serial',
      'terminal_output serial',
    ]);
  });

  it('prints the console hint wrapped at 80 columns with phrases kept whole', () => {
    expect(consoleHint(['quiet'])).toBeUndefined();
    expect(consoleHint(['console=ttyS0', 'console=bogus'])).toBeUndefined();
    const hint = consoleHint(['console=ttyS0,115200', 'quiet', 'console=tty0']) ?? '';
    expect(hint).toBe(
      '\nNote: consider using "--console ttyS0,115200 --console tty0" instead of\n' +
        '"--append-karg console=ttyS0,115200 --append-karg console=tty0" to configure\n' +
        'both kernel and bootloader consoles.\n',
    );
  });
});

describe('Ignition hashes', () => {
  const empty256 = 'sha256-e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
  it('parses, formats lowercase and verifies', () => {
    const h = parseIgnitionHash(empty256.toUpperCase().replace('SHA256', 'sha256'));
    expect(formatIgnitionHash(h)).toBe(empty256);
    expect(() => verifyIgnitionHash(h, Buffer.alloc(0))).not.toThrow();
    expect(() => verifyIgnitionHash(h, Buffer.from('x'))).toThrow(/^hash mismatch, computed '2d711642b7.*' but expected 'e3b0c442.*'$/);
  });
  it.each([
    ['', "failed to detect hash-type and digest in ''"],
    ['foo-bar', "unknown hash type 'foo'"],
    ['-bar', "unknown hash type ''"],
    ['sha512', "failed to detect hash-type and digest in 'sha512'"],
    ['sha512-', 'wrong digest length (0)'],
    ['sha512-00', 'wrong digest length (8)'],
  ])('rejects %j', (text, message) => expect(() => parseIgnitionHash(text)).toThrow(message));
  it('wraps hex errors', () => {
    try {
      parseIgnitionHash('sha256-zz');
    } catch (err) {
      expect(errorChain(err)[0]).toBe('decoding hex digest');
    }
  });
});

describe('partition filters', () => {
  it('accepts the SPEC examples and matches', () => {
    const f = parsePartitionFilters(['data*', ''], ['1', '7-7', '2-4', '-3', '4-']);
    expect(filterMatches(f, 9, 'data-x')).toBe(true);
    expect(filterMatches(f, 9, '')).toBe(true);
    expect(filterMatches(parsePartitionFilters([], ['2-4']), 4, 'x')).toBe(true);
    expect(filterMatches(parsePartitionFilters([], ['2-4']), 5, 'x')).toBe(false);
    expect(filterMatches(parsePartitionFilters([], ['4-']), 400, 'x')).toBe(true);
    expect(filterMatches(parsePartitionFilters([], ['-3']), 1, 'x')).toBe(true);
    expect(filterMatches(parsePartitionFilters(['a/*'], []), 1, 'a/b/c')).toBe(true);
  });
  it.each([
    ['23q', "couldn't parse partition index '23q'"],
    ['45.7', "couldn't parse partition index '45.7'"],
    ['0x7', "couldn't parse partition index '0x7'"],
    ['0', 'partition index cannot be zero'],
    ['', "both ends of partition index range '' cannot be open"],
    ['-', "both ends of partition index range '-' cannot be open"],
    ['5-3', "start of partition index range '5-3' cannot be greater than end"],
    ['--', "couldn't parse partition index range '--'"],
    ['-2-3', "couldn't parse partition index range '-2-3'"],
  ])('rejects index %j', (text, message) => expect(() => parsePartitionFilters([], [text])).toThrow(message));
  it('reports label globs first', () => {
    try {
      parsePartitionFilters(['***'], ['0']);
      expect.unreachable();
    } catch (err) {
      expect(errorChain(err)).toEqual([
        "couldn't parse label glob '***'",
        'Pattern syntax error near position 2: wildcards are either regular `*` or recursive `**`',
      ]);
    }
  });
});
