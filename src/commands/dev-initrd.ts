// `dev show initrd` and `dev extract initrd` (SPEC 5.6).

import { extractMembers } from '../initrd/extract.js';
import { Initrd } from '../initrd/initrd.js';
import { readInitrdInput } from '../initrd/input.js';
import { withContext, withContextSync } from '../util/errors.js';
import { anyOf, compileGlob, type GlobPattern } from '../util/glob.js';
import { writeStdout } from '../util/stdio.js';

export interface DevShowInitrdConfig {
  input: string;
  filter: string[];
}

export interface DevExtractInitrdConfig {
  directory: string;
  verbose: boolean;
  input: string;
  filter: string[];
}

function filterOf(globs: string[]): GlobPattern {
  return withContextSync('parsing glob patterns', () => anyOf((globs.length > 0 ? globs : ['*']).map(compileGlob)));
}

async function load(input: string, globs: string[]): Promise<Initrd> {
  const filter = filterOf(globs);
  const data = await readInitrdInput(input);
  return withContext('decoding initrd', () => Initrd.fromBuffer(data, filter));
}

export async function devShowInitrd(config: DevShowInitrdConfig): Promise<void> {
  const initrd = await load(config.input, config.filter);
  const names = initrd.names();
  if (names.length > 0) await writeStdout(names.map((n) => `${n}\n`).join(''));
}

export async function devExtractInitrd(config: DevExtractInitrdConfig): Promise<void> {
  const initrd = await load(config.input, config.filter);
  const onPath = config.verbose ? (path: string) => writeStdout(`${path}\n`) : undefined;
  await extractMembers(initrd, initrd.names(), config.directory, onPath);
}
