// `completion bash|zsh|fish`: scripts generated from the command tables,
// loaded into the real shells and asked for completions.

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT_COMMAND } from '../../src/cli/index.js';
import { visibleLeaves } from '../../src/cli/completion-script.js';
import { runCli } from '../helpers/cli.js';
import { needs } from '../helpers/env.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir();

async function script(shell: string): Promise<string> {
  const r = await runCli(['completion', shell]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const file = join(dir, `completion.${shell}`);
  writeFileSync(file, r.stdout);
  return file;
}

describe.skipIf(needs({ tools: ['bash'] }))('bash', () => {
  /** Source the script in bash and run its completion function on these words (the last is the cursor's). */
  async function complete(...words: string[]): Promise<string[]> {
    const file = await script('bash');
    const driver = `
      source "$1"; shift
      COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE="$*"; COMP_POINT=\${#COMP_LINE}
      fn=$(complete -p nestos-installer | sed -E 's/.*-F ([^ ]+).*/\\1/')
      "$fn" nestos-installer "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}"
      printf '%s\\n' "\${COMPREPLY[@]}"`;
    const out = execFileSync('bash', ['-c', driver, 'bash', file, 'nestos-installer', ...words], { cwd: dir, encoding: 'utf8' });
    return out.split('\n').filter((l) => l !== '');
  }

  it('completes `nestos-installer iso ig` to ignition', async () => {
    expect(await complete('iso', 'ig')).toEqual(['ignition']);
  });

  it("offers the visible subcommands, a leaf's flags, files for path values and positionals, fixed values", async () => {
    expect(await complete('')).toEqual(['install', 'download', 'list-stream', 'iso', 'pxe', 'completion']);
    expect(await complete('iso', 'ignition', 'embed', '--')).toEqual(['--force', '--ignition-file', '--output', '--help']);
    writeFileSync(join(dir, 'config.ign'), '{}');
    expect(await complete('iso', 'ignition', 'embed', '-i', 'conf')).toEqual(['config.ign']);
    expect(await complete('iso', 'ignition', 'embed', 'conf')).toEqual(['config.ign']);
    expect(await complete('install', '--stream', '')).toEqual([]);
    expect(await complete('completion', '')).toEqual(['bash', 'zsh', 'fish']);
    expect(await complete('dev', '')).toEqual([]);
  });
});

describe.skipIf(needs({ tools: ['fish'] }))('fish', () => {
  it('completes subcommands and flags from the tables', async () => {
    const file = await script('fish');
    const ask = (line: string): string[] =>
      execFileSync('fish', ['--no-config', '-c', `source ${file}; complete -C '${line}'`], { cwd: dir, encoding: 'utf8' })
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => l.split('\t')[0] ?? '');
    expect(ask('nestos-installer iso ig')).toEqual(['ignition']);
    expect(ask('nestos-installer iso ignition embed --ig')).toEqual(['--ignition-file']);
    expect(ask('nestos-installer completion ')).toEqual(['bash', 'fish', 'zsh']);
  });
});

describe.skipIf(needs({ tools: ['zsh'] }))('zsh', () => {
  it('is valid zsh naming every visible command and option', async () => {
    const file = await script('zsh');
    execFileSync('zsh', ['-n', file]);
    const text = execFileSync('cat', [file], { encoding: 'utf8' });
    expect(text.startsWith('#compdef nestos-installer\n')).toBe(true);
    for (const { path, spec } of visibleLeaves(ROOT_COMMAND)) {
      expect(text).toContain(`('${path.join(' ')}')`);
      for (const o of spec.options.filter((x) => !x.hidden)) expect(text).toContain(`--${o.long}`);
    }
  });
});

describe('usage', () => {
  it('an unknown shell is a usage error listing the possible values', async () => {
    const r = await runCli(['completion', 'ksh']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      "error: invalid value 'ksh' for '<SHELL>'\n  [possible values: bash, zsh, fish]\n\nUsage: nestos-installer completion [OPTIONS] <SHELL>\n\nFor more information, try '--help'.\n",
    );
  });
});
