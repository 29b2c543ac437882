// The bundles give yargs our string-width (src/cli/yargs-string-width.ts,
// scripts/build.mjs): the package's Intl.Segmenter and \p{RGI_Emoji}
// expression cost ~30 ms of every start-up, for help text we never print.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import stringWidth from '../../src/cli/yargs-string-width.js';
import { ROOT } from '../helpers/tmp.js';

describe("yargs' string-width in the bundles", () => {
  it('measures what yargs lays out: printable characters, ANSI colours and control characters count nothing', () => {
    const line = '--insecure-ignition  Allow Ignition URL without HTTPS';
    expect(stringWidth(line)).toBe(line.length);
    expect(stringWidth('\u001b[1m--help\u001b[22m')).toBe(6);
    expect(stringWidth('a\tb\u0007')).toBe(2);
    expect(stringWidth('')).toBe(0);
  });

  it.each([
    ['dist', (f: string) => /\.m?js$/.test(f)],
    [join('dist', 'sea'), (f: string) => f.endsWith('.cjs')],
  ])('no script in %s builds an Intl.Segmenter or an emoji expression', (dir, pick) => {
    const scripts = readdirSync(join(ROOT, dir)).filter(pick);
    expect(scripts.length).toBeGreaterThan(0);
    for (const name of scripts) {
      const text = readFileSync(join(ROOT, dir, name), 'utf8');
      expect(text.includes('Intl.Segmenter') || text.includes('RGI_Emoji'), name).toBe(false);
    }
  });
});
