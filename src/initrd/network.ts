// NetworkManager keyfiles in an initrd, shared by `pxe network` and
// `iso network` (SPEC 4.8 embed step 5 and extract, 5.3, 5.4).

import { lstat, readFile } from 'node:fs/promises';
import { createNewFile, existsError } from '../util/atomic-file.js';
import { makeDirectories } from '../util/dirs.js';
import { CliError, ContextError, context } from '../util/errors.js';
import { anyOf, compileGlob, type GlobPattern } from '../util/glob.js';
import { FAMILIES, type OsFamily } from '../util/family.js';
import type { Initrd } from './initrd.js';
import { rustFileName, rustJoin } from '../util/paths.js';

/**
 * The member filter `<family network dir>/*` (its `*` also matches `/`); given
 * several families, a member matching any of them passes.
 */
export function networkFilter(families: readonly OsFamily[]): GlobPattern {
  return anyOf(families.map((f) => compileGlob(`${f.initrdNetworkDir}/*`)));
}

/** Keyfiles of a medium whose family is not known (a bare PXE network initrd): any family's. */
export function anyNetworkFilter(): GlobPattern {
  return networkFilter(FAMILIES);
}

/** Add each keyfile as `<family network dir>/<basename>`, in order. */
export async function addNetworkKeyfiles(initrd: Initrd, paths: string[], family: OsFamily): Promise<void> {
  for (const path of paths) {
    const data = await readFile(path).catch(context(`reading ${path}`));
    const name = rustFileName(path);
    if (name === undefined) throw new CliError(`missing filename in ${path}`);
    const member = `${family.initrdNetworkDir}/${name}`;
    if (initrd.has(member)) throw new CliError(`multiple input files named '${name}'`);
    initrd.set(member, data);
  }
}

/**
 * Extract the keyfiles: with a directory, write `<dir>/<basename>` (exclusive
 * create) and print each path; without, print `########## <basename> ##########`
 * blocks separated by empty lines, through `write` (the command passes stdout). No keyfiles: "No embedded network settings."
 */
export async function writeNetworkSettings(
  initrd: Initrd,
  filter: GlobPattern,
  directory: string | undefined,
  write: (data: Buffer | string) => Promise<void>,
): Promise<void> {
  const names = initrd.find(filter);
  if (names.length === 0) throw new CliError('No embedded network settings.');
  if (directory !== undefined) {
    await makeDirectories(directory).catch(context(`creating ${directory}`));
    // Refuse before writing anything: an existing file, or two keyfiles with one basename.
    const seen = new Set<string>();
    for (const member of names) {
      const path = rustJoin(directory, rustFileName(member) ?? member);
      if (seen.has(path)) throw new ContextError(`opening ${path}`, existsError(path));
      await lstat(path).then(
        () => {
          throw new ContextError(`opening ${path}`, existsError(path));
        },
        () => undefined,
      );
      seen.add(path);
    }
  }
  let first = true;
  for (const member of names) {
    const data = initrd.get(member) ?? Buffer.alloc(0);
    const name = rustFileName(member) ?? member;
    if (directory !== undefined) {
      const path = rustJoin(directory, name);
      await createNewFile(path, data);
      await write(`${path}\n`);
    } else {
      await write(`${first ? '' : '\n'}########## ${name} ##########\n`);
      await write(data);
    }
    first = false;
  }
}
