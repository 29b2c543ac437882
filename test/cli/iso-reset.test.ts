// `iso reset` (SPEC 4.11) and the hidden-area invariants after several edits.

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { needs } from '../helpers/env.js';
import { tmpDir } from '../helpers/tmp.js';
import { sha256 } from '../live/fixture-iso.js';
import { ALL_ISOS, failsWith, pristine, saveStdout, threeModes } from './iso-helpers.js';

const CONFIG = Buffer.from('{"ignition":{"version":"3.3.0"}}\n');

describe.skipIf(needs({ tools: ['xz', 'xorriso', 'genisoimage', 'cpio', 'gzip'] }))('iso reset', () => {
  for (const name of ALL_ISOS) {
    it(`${name}: reset restores the pristine bytes in every mode`, async () => {
      const dir = tmpDir();
      const base = sha256(readFileSync(pristine(name)));
      const same = await threeModes(pristine(name), dir, 'pristine', ['iso', 'reset']);
      expect(same.hashes).toEqual([base, base, base]);

      let custom = saveStdout(
        await runCli(['iso', 'ignition', 'embed', pristine(name), '-o', '-'], { input: CONFIG }),
        join(dir, 'c1.iso'),
      );
      const kargs = await runCli(['iso', 'kargs', 'modify', '-a', 'nestos.test=1', custom, '-o', '-']);
      if (kargs.status === 0) custom = saveStdout(kargs, join(dir, 'c2.iso'));
      else failsWith(kargs, 'No karg embed areas found');
      expect(sha256(readFileSync(custom))).not.toBe(base);
      const reset = await threeModes(custom, dir, 'reset', ['iso', 'reset']);
      expect(reset.hashes).toEqual([base, base, base]);
    });
  }
});

describe.skipIf(needs({ tools: ['script', 'xz'] }))('TTY refusal', () => {
  it('iso ignition embed -o - to a terminal', async () => {
    const { execFileSync } = await import('node:child_process');
    const { cliShell } = await import('../helpers/cli.js');
    const iso = pristine('embed-areas-2022-09');
    const cmd = `printf '{"ignition":{"version":"3.3.0"}}' | ${cliShell()} iso ignition embed ${iso} -o -; echo "status=$?"`;
    const out = execFileSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8' });
    expect(out).toContain('Refusing to write binary data to terminal');
    expect(out).toContain('status=1');
  });
});
