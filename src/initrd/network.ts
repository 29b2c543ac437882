// NetworkManager keyfiles in an initrd, shared by `pxe network` and
// `iso network` (SPEC 4.8 embed step 5 and extract, 5.3, 5.4).

import { mkdir, open, readFile } from 'node:fs/promises';
import { INITRD_NETWORK_DIR, INITRD_NETWORK_GLOB } from '../util/constants.js';
import { CliError, context } from '../util/errors.js';
import { compileGlob } from '../util/glob.js';
import type { Initrd } from './initrd.js';
import { rustFileName, rustJoin } from '../util/paths.js';

/** The member filter `etc/coreos-firstboot-network/*` (its `*` also matches `/`). */
export function networkFilter(): ReturnType<typeof compileGlob> {
  return compileGlob(INITRD_NETWORK_GLOB);
}

/** Add each keyfile as `etc/coreos-firstboot-network/<basename>`, in order. */
export async function addNetworkKeyfiles(initrd: Initrd, paths: string[]): Promise<void> {
  for (const path of paths) {
    const data = await readFile(path).catch(context(`reading ${path}`));
    const name = rustFileName(path);
    if (name === undefined) throw new CliError(`missing filename in ${path}`);
    const member = `${INITRD_NETWORK_DIR}/${name}`;
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
  directory: string | undefined,
  write: (data: Buffer | string) => Promise<void>,
): Promise<void> {
  const names = initrd.find(networkFilter());
  if (names.length === 0) throw new CliError('No embedded network settings.');
  if (directory !== undefined) {
    await mkdir(directory, { recursive: true }).catch(context(`creating ${directory}`));
  }
  let first = true;
  for (const member of names) {
    const data = initrd.get(member) ?? Buffer.alloc(0);
    const name = rustFileName(member) ?? member;
    if (directory !== undefined) {
      const path = rustJoin(directory, name);
      const fh = await open(path, 'wx', 0o666).catch(context(`opening ${path}`));
      try {
        await fh.writeFile(data).catch(context(`writing ${path}`));
      } finally {
        await fh.close();
      }
      await write(`${path}\n`);
    } else {
      await write(`${first ? '' : '\n'}########## ${name} ##########\n`);
      await write(data);
    }
    first = false;
  }
}
