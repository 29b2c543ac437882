// The live-ISO side of `iso extract minimal-iso` (SPEC 4.13.1): finding and
// decoding the family's MINISO.DAT in a full ISO, and turning the unpacked
// minimal ISO into one that fetches its rootfs: the live-ISO karg dropped, an
// optional rootfs URL karg added, kargs.json's default rewritten to match.

import type { FileHandle } from 'node:fs/promises';
import { CliError, ContextError, isNotFound, withContext, withContextSync } from '../util/errors.js';
import { invokedFamily, type OsFamily } from '../util/family.js';
import { writeFully } from '../io/file-io.js';
import { recordOffset } from '../iso9660/directory.js';
import { openIsoFs, type IsoFs } from '../iso9660/iso-fs.js';
import { IsoConfig } from './iso-config.js';
import { field, optionalChar, parseJsonObject, requiredString, requiredU64 } from './json-fields.js';
import { KargsEditor } from './kargs.js';
import { MINISO_DATA_MAX_SIZE, parseMiniso, type MinisoData } from './miniso.js';
import { writeRegions } from './region.js';

export const NO_MINISO = 'This ISO image does not support extracting a minimal ISO.';

/** Upstream's refusal of a customized input (the advice names our own program). */
export function customizedIsoError(): CliError {
  return new CliError(
    `Cannot operate on ISO with embedded customizations.\nReset it with \`${invokedFamily().programName} iso reset\` and try again.`,
  );
}

/** Look up and decode `<FAMILY>/MINISO.DAT` (steps 5 and 6). Reads at most the 1 MiB limit plus one byte. */
export async function readMinisoData(iso: IsoFs, family: OsFamily): Promise<MinisoData> {
  let record;
  try {
    record = await iso.getFile(family.minisoPath);
  } catch (err) {
    if (isNotFound(err)) throw new CliError(NO_MINISO);
    throw new ContextError(`looking up '${family.minisoPath}'`, err);
  }
  const found = record;
  return withContext('reading miniso data file', async () => {
    const data = await iso.readAt(recordOffset(found), Math.min(found.length, MINISO_DATA_MAX_SIZE + 1));
    return parseMiniso(data);
  });
}

/** The ASCII whitespace Rust's split_ascii_whitespace splits on. */
const ASCII_WHITESPACE = /[\t\n\f\r ]+/;

/**
 * Step 8 on the unpacked minimal ISO (open read-write): drop the live-ISO
 * karg, add the rootfs URL karg if given, write the karg areas in place and
 * rewrite kargs.json with the new default.
 */
export async function fixMinimalIsoKargs(handle: FileHandle, rootfsUrl: string | undefined): Promise<void> {
  const iso = await openIsoFs(handle);
  const config = await IsoConfig.load(iso);
  const family = config.family;
  const current = config.kargsCurrent();
  const liveIso = `${family.liveIsoKarg}=`;
  const token = current.split(/\s+/).find((t) => t.startsWith(liveIso));
  if (token === undefined) throw new Error(`minimal ISO does not have ${liveIso} karg`);
  const newDefault = new KargsEditor({ delete: [token] }).apply(current);
  config.setKargs(newDefault);
  if (rootfsUrl !== undefined) {
    if (rootfsUrl.split(ASCII_WHITESPACE).filter((t) => t !== '').length > 1) {
      throw new Error(`forbidden whitespace found in '${rootfsUrl}'`);
    }
    config.setKargs(new KargsEditor({ append: [`${family.rootfsUrlKarg}=${rootfsUrl}`] }).apply(newDefault));
  }
  await writeRegions(handle, await config.toRegions());
  await rewriteKargsJson(iso, family, newDefault);
}

interface KargsJsonFile {
  path: string;
  offset: number;
  pad?: string;
  end?: string;
}

/** PURE: kargs.json as upstream re-serializes it: known keys only, in struct order, pretty-printed. */
export function serializeKargsJson(data: Buffer, newDefault: string): Buffer {
  const obj = parseJsonObject(data);
  const files = field(obj, 'files');
  if (!Array.isArray(files)) throw new Error('invalid type for field `files`: expected a sequence');
  requiredString(obj, 'default');
  const out = {
    default: newDefault,
    files: files.map((entry: unknown): KargsJsonFile => {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
        throw new Error('invalid type for an entry of `files`: expected a map');
      }
      const e = entry as Record<string, unknown>;
      const file: KargsJsonFile = { path: requiredString(e, 'path'), offset: requiredU64(e, 'offset') };
      const pad = optionalChar(e, 'pad');
      const end = optionalChar(e, 'end');
      if (pad !== undefined) file.pad = pad;
      if (end !== undefined) file.end = end;
      return file;
    }),
    size: requiredU64(obj, 'size'),
  };
  return Buffer.from(JSON.stringify(out, null, 2), 'utf8');
}

/** Rewrite `<FAMILY>/KARGS.JSO` in place, space-padded to its existing length. */
async function rewriteKargsJson(iso: IsoFs, family: OsFamily, newDefault: string): Promise<void> {
  const path = family.kargsJsonPath;
  let record;
  try {
    record = await iso.getFile(path);
  } catch (err) {
    if (isNotFound(err)) throw new Error('minimal ISO does not have kargs.json; please report this as a bug');
    throw new ContextError(`looking up '${path}'`, err);
  }
  const found = record;
  const old = await withContext('reading kargs embed area info', () => iso.readFile(found));
  const json = withContextSync('decoding kargs embed area info', () => serializeKargsJson(old, newDefault));
  if (json.length > found.length) {
    throw new Error(`New version of ${path} does not fit in space (${json.length} vs ${found.length})`);
  }
  const contents = Buffer.alloc(found.length, ' ');
  json.copy(contents);
  await withContext(`failed to update ${path}`, () => writeFully(iso.handle, contents, recordOffset(found)));
}
