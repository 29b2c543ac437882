import { describe, expect, it } from 'vitest';
import { ProgressReporter } from '../../src/io/progress.js';

function fake(isTTY: boolean) {
  const lines: string[] = [];
  let t = 0;
  return { out: { write: (s: string) => lines.push(s), isTTY }, lines, tick: (ms: number) => (t += ms), now: () => t };
}

describe('ProgressReporter (SPEC 2.11)', () => {
  it('off a TTY: a plain line at most once a second, and once at the total', () => {
    const f = fake(false);
    const r = new ProgressReporter({ artifactType: 'disk', total: 4096, output: f.out, now: f.now });
    r.add(1024);
    f.tick(999);
    r.add(1024);
    f.tick(1);
    r.add(1024);
    r.add(1024);
    r.add(0);
    r.finish();
    expect(f.lines).toEqual(['Read disk 3.0 KiB/4.0 KiB (75%)\n', 'Read disk 4.0 KiB/4.0 KiB (100%)\n']);
  });

  it('unknown total: no percentage and no final report', () => {
    const f = fake(false);
    const r = new ProgressReporter({ artifactType: 'kernel', total: 0, output: f.out, now: f.now });
    r.add(100);
    f.tick(1500);
    r.add(100);
    r.add(100);
    r.finish();
    expect(f.lines).toEqual(['Read kernel 200 B\n']);
  });

  it('on a TTY: prologue, rate, epilogue and a final newline', () => {
    const f = fake(true);
    const r = new ProgressReporter({ artifactType: 'disk', total: 2048, output: f.out, now: f.now });
    f.tick(1000);
    r.add(1024);
    f.tick(1000);
    r.add(1024);
    r.finish();
    r.finish();
    expect(f.lines).toEqual([
      '> Read disk 1.0 KiB/2.0 KiB (50%)  1.0 KiB/s  ETA 0:01   \r',
      // Padded to the longest line so far, so nothing of it is left on screen.
      `> ${'Read disk 2.0 KiB/2.0 KiB (100%)  1.0 KiB/s'.padEnd(52)}   \r`,
      '\n',
    ]);
  });
});
