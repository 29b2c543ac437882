// Post-processing on the mounted boot partition (SPEC 3.8.2-3.8.7):
// Ignition config, kernel arguments in the default BLS entry, the GRUB
// console block, and NetworkManager keyfiles.

import { constants as fsConstants } from 'node:fs';
import { chmod, copyFile, mkdir, open, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KargsEditor, applyKargs, type KargsEdits } from '../live/kargs.js';
import { CliError, ContextError, hasErrorCode, withContext } from '../util/errors.js';
import { info } from '../util/log.js';
import { familyOfBootEntries, invokedFamily, type OsFamily } from '../util/family.js';
import { defaultEntry, editBlsOptions } from './bls.js';
import { consoleHint, consoleKarg, grubConsoleCommands, type Console } from './console.js';
import { replaceConsoleSettings } from './grub-console.js';
import { verifyIgnitionHash, type IgnitionHash } from './ignition-hash.js';

export interface BootConfig {
  ignition?: Buffer;
  ignitionHash?: IgnitionHash;
  platform?: string;
  consoles: Console[];
  firstbootArgs?: string;
  appendKargs: string[];
  deleteKargs: string[];
  /** --copy-network source directory. */
  networkDir?: string;
}

/** SPEC 3.2 step 13.4: post-process only when an option asks for it. */
export function needsPostProcessing(c: BootConfig): boolean {
  return (
    c.ignition !== undefined ||
    c.firstbootArgs !== undefined ||
    c.appendKargs.length > 0 ||
    c.deleteKargs.length > 0 ||
    c.platform !== undefined ||
    c.consoles.length > 0 ||
    c.networkDir !== undefined
  );
}

interface PlatformSpec {
  grub_commands?: string[];
  kernel_arguments?: string[];
}

/** The boot partition's family: its nestos/ or coreos/ directory, else the invoked name. */
export async function bootFamily(boot: string): Promise<OsFamily> {
  const names = await readdir(boot).catch((): string[] => []);
  return familyOfBootEntries(names) ?? invokedFamily();
}

async function readPlatforms(boot: string): Promise<Record<string, PlatformSpec>> {
  const path = join(boot, (await bootFamily(boot)).bootPlatformsJson);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (hasErrorCode(err, 'ENOENT')) return {};
    throw new ContextError('reading platform table', err);
  }
  try {
    return JSON.parse(text) as Record<string, PlatformSpec>;
  } catch (err) {
    throw new ContextError('parsing platform table', err);
  }
}

/** The BLS visitor (SPEC 3.8.4): edit the default entry's options line. */
async function visitBls(boot: string, edit: (options: string) => string | undefined): Promise<void> {
  const dir = join(boot, 'loader', 'entries');
  const name = defaultEntry(await readdir(dir).catch((): string[] => []));
  if (name === undefined) throw new CliError(`Found no BLS entries in ${dir}`);
  const path = join(dir, name);
  const text = await readFile(path, 'utf8').catch((err: unknown) => {
    throw new ContextError(`reading ${path}`, err);
  });
  const updated = editBlsOptions(text, edit);
  if (updated !== undefined)
    await writeFile(path, updated).catch((err: unknown) => {
      throw new ContextError(`writing ${path}`, err);
    });
}

/** KargsEditor "maybe apply": no operations means no change (SPEC 4.9.2). */
function maybeApply(edits: KargsEdits): (options: string) => string | undefined {
  const editor = new KargsEditor(edits);
  return (options) => editor.maybeApply(options);
}

async function writeIgnition(boot: string, config: Buffer, hash: IgnitionHash | undefined): Promise<void> {
  info('Writing Ignition config');
  if (hash !== undefined) {
    try {
      verifyIgnitionHash(hash, config);
    } catch (err) {
      throw new ContextError('failed to validate Ignition configuration digest', err);
    }
  }
  const dir = join(boot, 'ignition');
  const isDir = await stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) {
    await mkdir(dir, { recursive: true }).catch((err: unknown) => {
      throw new ContextError(`creating ${dir}`, err);
    });
    await chmod(dir, 0o700);
  }
  const path = join(dir, 'config.ign');
  const file = await open(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600).catch((err: unknown) => {
    throw new ContextError(`opening ${path}`, err);
  });
  try {
    await file.chmod(0o600);
    await file.writeFile(config);
  } catch (err) {
    throw new ContextError(`writing ${path}`, err);
  } finally {
    await file.close();
  }
}

async function configurePlatform(boot: string, platform: string, haveConsoles: boolean): Promise<void> {
  info(`Setting platform to ${platform}`);
  await withContext('setting platform ID argument', () =>
    visitBls(boot, (options) => {
      const updated = applyKargs(options, { replace: [`ignition.platform.id=metal=${platform}`] });
      if (updated === options) throw new CliError("couldn't locate platform ID");
      return updated;
    }),
  );
  if (haveConsoles) return;
  const platforms = await readPlatforms(boot);
  const own = platforms[platform]?.kernel_arguments ?? [];
  const metal = platforms['metal']?.kernel_arguments ?? [];
  if (own.length > 0 || metal.length > 0) {
    await withContext('configuring console kargs', () => visitBls(boot, maybeApply({ append: own, delete: metal })));
  }
}

async function configureKargs(boot: string, c: BootConfig): Promise<void> {
  if (c.platform !== undefined && c.platform !== 'metal') {
    const platform = c.platform;
    await withContext('configuring platform', () => configurePlatform(boot, platform, c.consoles.length > 0));
  }
  if (c.consoles.length > 0) {
    info('Configuring console settings');
    const metal = (await readPlatforms(boot))['metal']?.kernel_arguments ?? [];
    await withContext('configuring console kargs', () =>
      visitBls(boot, maybeApply({ append: c.consoles.map(consoleKarg), delete: metal })),
    );
  }
  if (c.firstbootArgs !== undefined) {
    const args = c.firstbootArgs;
    info('Writing first-boot kernel arguments');
    await withContext('writing firstboot kargs', async () => {
      const path = join(boot, 'ignition.firstboot');
      const file = await open(path, fsConstants.O_WRONLY | fsConstants.O_APPEND).catch((err: unknown) => {
        throw new ContextError(`opening first-boot file ${path}`, err);
      });
      try {
        await file.write(`set ignition_network_kcmdline="${args}"\n`);
      } finally {
        await file.close();
      }
    });
  }
  if (c.appendKargs.length > 0 || c.deleteKargs.length > 0) {
    info('Modifying kernel arguments');
    const hint = consoleHint(c.appendKargs);
    if (hint !== undefined) info(hint);
    await withContext('modifying kernel arguments', () => visitBls(boot, maybeApply({ delete: c.deleteKargs, append: c.appendKargs })));
  }
}

async function configureGrub(boot: string, c: BootConfig): Promise<void> {
  let commands: string[] | undefined;
  if (c.consoles.length > 0) commands = grubConsoleCommands(c.consoles);
  else if (c.platform !== undefined) {
    const platforms = await readPlatforms(boot);
    const own = platforms[c.platform]?.grub_commands ?? [];
    const metal = platforms['metal']?.grub_commands ?? [];
    if (JSON.stringify(own) !== JSON.stringify(metal)) commands = own;
  }
  if (commands === undefined) return;
  const consoleCfg = join(boot, 'grub2', 'console.cfg');
  const name = (await stat(consoleCfg).then(
    () => true,
    () => false,
  ))
    ? 'grub2/console.cfg'
    : 'grub2/grub.cfg';
  const path = join(boot, name);
  const text = await readFile(path, 'utf8').catch((err: unknown) => {
    throw new ContextError(`reading ${name}`, err);
  });
  const updated = await withContext(`updating ${name}`, () => replaceConsoleSettings(text, commands));
  await writeFile(path, updated).catch((err: unknown) => {
    throw new ContextError(`writing ${name}`, err);
  });
}

async function copyNetwork(boot: string, dir: string): Promise<void> {
  info(`Copying networking configuration from ${dir}`);
  const dest = join(boot, (await bootFamily(boot)).bootNetworkDir);
  await mkdir(dest, { recursive: true }).catch((err: unknown) => {
    throw new ContextError(`creating ${dest}`, err);
  });
  const names = await readdir(dir).catch((err: unknown) => {
    throw new ContextError(`reading directory ${dir}`, err);
  });
  for (const name of names.sort()) {
    const src = join(dir, name);
    const st = await stat(src).catch(() => undefined);
    if (!st?.isFile()) continue;
    info(`Copying ${src} to installed system`);
    await withContext('Copying networking config', async () => {
      await copyFile(src, join(dest, name));
      await chmod(join(dest, name), st.mode & 0o7777);
    });
  }
}

/** Apply every requested edit to the mounted boot filesystem at `boot` (SPEC 3.8.2 order). */
export async function configureBoot(boot: string, c: BootConfig): Promise<void> {
  if (c.ignition !== undefined) {
    const config = c.ignition;
    await withContext('writing Ignition configuration', () => writeIgnition(boot, config, c.ignitionHash));
  }
  await withContext('configuring kernel arguments', () => configureKargs(boot, c));
  await withContext('configuring GRUB', () => configureGrub(boot, c));
  if (c.networkDir !== undefined) await copyNetwork(boot, c.networkDir);
}
