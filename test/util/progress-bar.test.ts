import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatReport, formatTtyLine } from '../../src/util/progress-bar.js';

describe('formatBytes (SPEC 2.11)', () => {
  it.each([
    [0, '0 B'],
    [1000, '1000 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [512 * 1024, '512.0 KiB'],
    [1536, '1.5 KiB'],
    [1048575, '1024.0 KiB'],
    [1048576, '1.0 MiB'],
    [1.5 * 2 ** 30, '1.5 GiB'],
    [3.4 * 2 ** 30, '3.4 GiB'],
    [2 ** 40, '1.0 TiB'],
    [2 ** 50, '1.0 PiB'],
    [2 ** 60, '1.0 EiB'],
    [2 ** 63, '8.0 EiB'],
  ])('%d → %s', (n, text) => {
    expect(formatBytes(n)).toBe(text);
  });

  it('rounds exact ties to even, like Rust {:.1}', () => {
    expect(formatBytes(1280)).toBe('1.2 KiB'); // 1.25
    expect(formatBytes(1408)).toBe('1.4 KiB'); // 1.375 → 1.4
    expect(formatBytes(1331)).toBe('1.3 KiB'); // 1.2998
    expect(formatBytes(1843)).toBe('1.8 KiB'); // 1.7998
  });
});

describe('formatReport', () => {
  it('with a total', () => {
    expect(formatReport('disk', 1.5 * 2 ** 30, 3.4 * 2 ** 30)).toBe('Read disk 1.5 GiB/3.4 GiB (44%)');
    expect(formatReport('kernel', 100, 100)).toBe('Read kernel 100 B/100 B (100%)');
  });
  it('without a total (0 means unknown)', () => {
    expect(formatReport('disk', 2048)).toBe('Read disk 2.0 KiB');
    expect(formatReport('disk', 2048, 0)).toBe('Read disk 2.0 KiB');
  });
});

describe('TTY line', () => {
  it('adds rate and ETA', () => {
    expect(formatTtyLine({ artifactType: 'disk', position: 2 ** 30, total: 2 ** 31, rate: 100 * 2 ** 20 })).toBe(
      'Read disk 1.0 GiB/2.0 GiB (50%)  100.0 MiB/s  ETA 0:10',
    );
  });
  it('no ETA without a total or when done, no rate before it is known', () => {
    expect(formatTtyLine({ artifactType: 'disk', position: 2 ** 20, rate: 2 ** 20 })).toBe('Read disk 1.0 MiB  1.0 MiB/s');
    expect(formatTtyLine({ artifactType: 'disk', position: 10, total: 10, rate: 5 })).toBe('Read disk 10 B/10 B (100%)  5 B/s');
    expect(formatTtyLine({ artifactType: 'disk', position: 10, total: 20 })).toBe('Read disk 10 B/20 B (50%)');
  });
  it('durations', () => {
    expect(formatDuration(7)).toBe('0:07');
    expect(formatDuration(754)).toBe('12:34');
    expect(formatDuration(3723)).toBe('1:02:03');
  });
});
