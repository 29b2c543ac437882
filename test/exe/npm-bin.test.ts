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
  // It answers --version by itself (no ES module loads: start-up), and hands
  // everything else to dist/main.mjs. Alone in a directory, it still can do the former only.
  it('prints the version without the program beside it, under either name', () => {
    const pkg = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { version: string };
    const dir = tmpDir('nestos-bin-');
    for (const name of ['main.js', 'package.json']) copyFileSync(join(ROOT, 'dist', name), join(dir, name));
    symlinkSync(join(dir, 'main.js'), join(dir, 'coreos-installer'));
    for (const flag of ['--version', '-V']) {
      expect(execFileSync(process.execPath, [join(dir, 'main.js'), flag], { encoding: 'utf8' })).toBe(`nestos-installer ${pkg.version}\n`);
      expect(execFileSync(process.execPath, [join(dir, 'coreos-installer'), flag], { encoding: 'utf8' })).toBe(
        `coreos-installer ${pkg.version}\n`,
      );
    }
    const help = spawnSync(process.execPath, [join(dir, 'main.js'), '--help'], { encoding: 'utf8' });
    expect(help.status).not.toBe(0);
    expect(help.stderr).toContain('main.mjs');
    expect(execFileSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' })).toContain('Usage: nestos-installer <COMMAND>\n');
  });
});
