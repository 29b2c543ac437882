// The npm bin, dist/main.js (src/bin.ts): a small CommonJS script beside the
// program, dist/main.mjs. The standalone executable has no such bin, so this
// file is not in .ci/run's executable pass.

import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { ROOT, tmpDir } from '../helpers/tmp.js';

describe('the npm bin, dist/main.js', () => {
  // It answers --version and the top-level --help by itself (no ES module
  // loads: start-up), and hands everything else to dist/main.mjs. Alone in a
  // directory, it still can do the former only.
  it('prints the version and the top-level help without the program beside it, under either name', () => {
    const pkg = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { version: string };
    const dir = tmpDir('nestos-bin-');
    for (const name of ['main.js', 'package.json']) copyFileSync(join(ROOT, 'dist', name), join(dir, name));
    symlinkSync(join(dir, 'main.js'), join(dir, 'coreos-installer'));
    const run = (script: string, args: string[]): string => execFileSync(process.execPath, [script, ...args], { encoding: 'utf8' });
    for (const flag of ['--version', '-V']) {
      expect(run(join(dir, 'main.js'), [flag])).toBe(`nestos-installer ${pkg.version}\n`);
      expect(run(join(dir, 'coreos-installer'), [flag])).toBe(`coreos-installer ${pkg.version}\n`);
    }
    // The help the program prints, byte for byte, under each name.
    symlinkSync(join(ROOT, 'dist', 'main.mjs'), join(dir, 'coreos-installer.mjs'));
    const nestosHelp = run(join(ROOT, 'dist', 'main.mjs'), ['--help']);
    const coreosHelp = run(join(dir, 'coreos-installer.mjs'), ['--help']);
    expect(nestosHelp).toContain('Usage: nestos-installer <COMMAND>\n');
    expect(coreosHelp).toContain('Usage: coreos-installer <COMMAND>\n');
    for (const flag of ['--help', '-h']) {
      expect(run(join(dir, 'main.js'), [flag])).toBe(nestosHelp);
      expect(run(join(dir, 'coreos-installer'), [flag])).toBe(coreosHelp);
    }
    // Anything else is the program's.
    for (const args of [['install', '--help'], ['--help', '--version'], []]) {
      const res = spawnSync(process.execPath, [join(dir, 'main.js'), ...args], { encoding: 'utf8' });
      expect(res.status).not.toBe(0);
      expect(res.stderr).toContain('main.mjs');
    }
    expect(run(CLI, ['install', '--help'])).toContain('Usage: nestos-installer install');
  });
});
