// Locating a live ISO's embed areas, era by era (SPEC 4.3, 4.4): the initrd
// area from <FAMILY>/IGNINFO.JSO or IMAGES/IGNITION.IMG, and the karg areas
// from <FAMILY>/KARGS.JSO or the legacy `coreKarg` system-area header. The
// file names in igninfo and kargs.json are long names (`EFI/openEuler/grub.cfg`):
// the ISO 9660 reader resolves them through Rock Ridge or as upper-cased
// primary names.
// The legacy `coreiso+` header is deliberately neither read nor written.

import { decodeUtf8 } from '../util/text.js';
import { ContextError, isNotFound, withContext, withContextSync } from '../util/errors.js';
import { recordOffset } from '../iso9660/directory.js';
import type { IsoFs } from '../iso9660/iso-fs.js';
import { invokedFamily, type OsFamily } from '../util/family.js';
import { field, optionalChar, optionalU64, parseJsonObject, requiredString, requiredU64 } from './json-fields.js';

export const DEFAULT_IGNITION_IMG = 'IMAGES/IGNITION.IMG';

/** Offset of the legacy 72-byte `coreKarg` header (32768 - 24 - 72). */
export const CORE_KARG_HEADER_OFFSET = 32672;
const CORE_KARG_MAGIC = Buffer.from('coreKarg');
const CORE_KARG_MAX_AREAS = 6;

/** Karg areas are at most one block long. */
export const KARG_AREA_MAX = 2048;

export const DEFAULT_KARGS_PAD = '#';
export const DEFAULT_KARGS_END = '\n';

export interface AreaLocation {
  offset: number;
  length: number;
}

/** The Ignition/initrd embed area (SPEC 4.3). */
export async function locateInitrdArea(iso: IsoFs, family: OsFamily): Promise<AreaLocation> {
  let file = DEFAULT_IGNITION_IMG;
  let offset: number | undefined;
  let length: number | undefined;
  let igninfo;
  try {
    igninfo = await iso.getFile(family.igninfoPath);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (igninfo !== undefined) {
    const found = igninfo;
    const data = await withContext('reading igninfo', () => iso.readFile(found));
    const info = withContextSync('decoding igninfo', () => {
      const obj = parseJsonObject(data);
      return { file: requiredString(obj, 'file'), offset: optionalU64(obj, 'offset'), length: optionalU64(obj, 'length') };
    });
    file = info.file;
    offset = info.offset;
    length = info.length;
  }
  const record = await withContext('finding initrd embed area', () => iso.lookupFile(file));
  const start = offset ?? 0;
  // An offset past the file's end leaves no area: as upstream's wrapped u64, a
  // length no image has, so reading it fails as a short read (not a negative size).
  const size = length ?? (start > record.length ? Number.MAX_SAFE_INTEGER : record.length - start);
  return { offset: recordOffset(record) + start, length: size };
}

/** One writable karg region. `padGiven`/`endGiven` are set only when kargs.json named them. */
export interface KargRegion extends AreaLocation {
  pad: string;
  end: string;
  padGiven?: string;
  endGiven?: string;
  /** Pristine contents as read. */
  contents: Buffer;
}

export interface KargAreas {
  /** Area length L, shared by every region. */
  length: number;
  default: string;
  regions: KargRegion[];
  /** The kargs currently in the areas (all regions agree). */
  current: string;
}

/** The karg areas, or undefined when the ISO has none (SPEC 4.4). */
export async function locateKargAreas(iso: IsoFs, family: OsFamily): Promise<KargAreas | undefined> {
  let record;
  try {
    record = await iso.getFile(family.kargsJsonPath);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    return locateLegacyKargAreas(iso);
  }
  const found = record;
  const data = await withContext('reading kargs embed area info', () => iso.readFile(found));
  const info = withContextSync('decoding kargs embed area info', () => {
    const obj = parseJsonObject(data);
    const files = field(obj, 'files');
    if (!Array.isArray(files)) throw new Error('invalid type for field `files`: expected a sequence');
    return {
      default: requiredString(obj, 'default'),
      size: requiredU64(obj, 'size'),
      files: files.map((entry: unknown) => {
        if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
          throw new Error('invalid type for an entry of `files`: expected a map');
        }
        const e = entry as Record<string, unknown>;
        return {
          path: requiredString(e, 'path'),
          offset: requiredU64(e, 'offset'),
          pad: optionalChar(e, 'pad'),
          end: optionalChar(e, 'end'),
        };
      }),
    };
  });
  if (info.size > KARG_AREA_MAX) {
    throw new Error(`karg embed area size larger than ${KARG_AREA_MAX} (found ${info.size})`);
  }
  const defaultLength = Buffer.byteLength(info.default);
  if (defaultLength > info.size) {
    throw new Error(`default kargs size ${defaultLength} larger than embed areas (${info.size})`);
  }
  const regions: KargRegion[] = [];
  for (const entry of info.files) {
    const file = await withContext(`looking up '${entry.path}'`, () => iso.lookupFile(entry.path));
    const offset = recordOffset(file) + entry.offset;
    const contents = await withContext('reading kargs embed area', () => iso.readAt(offset, info.size));
    const region: KargRegion = {
      offset,
      length: info.size,
      pad: entry.pad ?? DEFAULT_KARGS_PAD,
      end: entry.end ?? DEFAULT_KARGS_END,
      contents,
    };
    if (entry.pad !== undefined) region.padGiven = entry.pad;
    if (entry.end !== undefined) region.endGiven = entry.end;
    regions.push(region);
  }
  regions.sort((a, b) => a.offset - b.offset);
  return { length: info.size, default: info.default, regions, current: currentKargs(regions) };
}

async function locateLegacyKargAreas(iso: IsoFs): Promise<KargAreas | undefined> {
  const header = await iso.readAt(CORE_KARG_HEADER_OFFSET, 72);
  if (!header.subarray(0, 8).equals(CORE_KARG_MAGIC)) return undefined;
  const length = readU64(header, 8);
  if (length > KARG_AREA_MAX) throw new Error(`karg embed area length larger than ${KARG_AREA_MAX} (found ${length})`);
  const defaultOffset = readU64(header, 16);
  const defaultKargs = await withContext('reading default kargs', async () =>
    parseKargArea(await iso.readAt(defaultOffset, length), DEFAULT_KARGS_PAD, DEFAULT_KARGS_END),
  );
  const regions: KargRegion[] = [];
  for (let i = 0; i < CORE_KARG_MAX_AREAS; i++) {
    const offset = readU64(header, 24 + 8 * i);
    if (offset === 0) break;
    const contents = await withContext('reading kargs embed area', () => iso.readAt(offset, length));
    regions.push({ offset, length, pad: DEFAULT_KARGS_PAD, end: DEFAULT_KARGS_END, contents });
  }
  return { length, default: defaultKargs, regions, current: currentKargs(regions) };
}

function readU64(buf: Buffer, pos: number): number {
  const value = buf.readBigUInt64LE(pos);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`value ${value} at header offset ${pos} is too large`);
  return Number(value);
}

/** Decode one karg region: UTF-8, trailing pad then end chars stripped, whitespace trimmed (SPEC 4.4.3). */
export function parseKargArea(contents: Buffer, pad: string, end: string): string {
  let text: string;
  try {
    text = decodeUtf8(contents);
  } catch (err) {
    throw new ContextError('invalid UTF-8 in karg area', err);
  }
  text = stripTrailing(stripTrailing(text, pad), end);
  return text.trim();
}

function stripTrailing(text: string, ch: string): string {
  let out = text;
  while (ch !== '' && out.endsWith(ch)) out = out.slice(0, out.length - ch.length);
  return out;
}

function currentKargs(regions: KargRegion[]): string {
  const [first, ...rest] = regions;
  if (first === undefined) throw new Error(`No karg embed areas found; corrupted ${invokedFamily().osName} ISO image.`);
  const expected = parseKargArea(first.contents, first.pad, first.end);
  for (const region of rest) {
    const found = parseKargArea(region.contents, region.pad, region.end);
    if (found !== expected) {
      throw new Error(`kargs don't match at all offsets! (expected '${expected}', but offset ${region.offset} has: '${found}')`);
    }
  }
  return expected;
}

/** New contents of a karg area: kargs + end char, then pad chars up to exactly L bytes (SPEC 4.4.4). */
export function formatKargArea(kargs: string, region: Pick<KargRegion, 'length' | 'pad' | 'end'>): Buffer {
  const text = Buffer.from(kargs.trim() + region.end, 'utf8');
  const pad = Buffer.from(region.pad, 'utf8');
  const out = Buffer.alloc(region.length);
  text.copy(out, 0, 0, Math.min(text.length, out.length));
  for (let pos = text.length; pos < out.length; pos += pad.length) pad.copy(out, pos);
  return out;
}
