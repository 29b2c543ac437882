// CoreOS stream metadata (SPEC 2.1, 2.2): pure parsing, validation, lookup and
// the list-stream table. Unknown fields are ignored; a malformed document is
// rejected with a message naming the JSON path that is wrong.

import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { compareUtf8 } from '../util/bytes.js';
import { ContextError } from '../util/errors.js';
import { parseJson } from '../util/json.js';

export interface Artifact {
  location: string;
  signature: string;
  /** sha256 of the stored (compressed) bytes, when the document gives one (E3). */
  sha256?: string;
  /** sha256 after decompression, when the document gives one (E3). */
  uncompressedSha256?: string;
}

/** artifact type ("disk", "kernel", ...) → artifact */
export type ArtifactSet = Record<string, Artifact>;

export interface PlatformEntry {
  release?: string;
  /** format ("raw.xz", "iso", "pxe", ...) → artifacts */
  formats: Record<string, ArtifactSet>;
}

export interface StreamMetadata {
  stream?: string;
  /** architecture → platform → entry */
  architectures: Record<string, { artifacts: Record<string, PlatformEntry> }>;
}

/** A malformed document; the message names the JSON path. */
export class StreamMetadataError extends Error {
  override name = 'StreamMetadataError';
}

function pathText(path: string[]): string {
  return '$' + path.map((p) => (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(p) ? `.${p}` : `[${JSON.stringify(p)}]`)).join('');
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'object' : typeof v;
}

function asObject(v: unknown, path: string[]): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new StreamMetadataError(`invalid type: ${typeName(v)}, expected an object at ${pathText(path)}`);
  }
  return v as Record<string, unknown>;
}

function field(obj: Record<string, unknown>, key: string, path: string[]): unknown {
  if (!Object.hasOwn(obj, key)) throw new StreamMetadataError(`missing field \`${key}\` at ${pathText(path)}`);
  return obj[key];
}

function asString(v: unknown, path: string[]): string {
  if (typeof v !== 'string') throw new StreamMetadataError(`invalid type: ${typeName(v)}, expected a string at ${pathText(path)}`);
  return v;
}

function optionalString(obj: Record<string, unknown>, key: string, path: string[]): string | undefined {
  const v = obj[key];
  return v === undefined || v === null ? undefined : asString(v, [...path, key]);
}

function mapEntries<T>(v: unknown, path: string[], each: (value: unknown, path: string[]) => T): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [key, value] of Object.entries(asObject(v, path))) out[key] = each(value, [...path, key]);
  return out;
}

function parseArtifact(v: unknown, path: string[]): Artifact {
  const obj = asObject(v, path);
  const artifact: Artifact = {
    location: asString(field(obj, 'location', path), [...path, 'location']),
    signature: asString(field(obj, 'signature', path), [...path, 'signature']),
  };
  const sha256 = optionalString(obj, 'sha256', path);
  const uncompressed = optionalString(obj, 'uncompressed-sha256', path);
  if (sha256 !== undefined) artifact.sha256 = sha256;
  if (uncompressed !== undefined) artifact.uncompressedSha256 = uncompressed;
  return artifact;
}

function parsePlatform(v: unknown, path: string[]): PlatformEntry {
  const obj = asObject(v, path);
  const entry: PlatformEntry = {
    formats: mapEntries(field(obj, 'formats', path), [...path, 'formats'], (f, p) => mapEntries(f, p, parseArtifact)),
  };
  const release = optionalString(obj, 'release', path);
  if (release !== undefined) entry.release = release;
  return entry;
}

/** Parse and validate a stream document (SPEC 2.2). */
export function parseStreamMetadata(text: string): StreamMetadata {
  let json: unknown;
  try {
    json = parseJson(text);
  } catch (err) {
    throw new StreamMetadataError(err instanceof Error ? err.message : String(err));
  }
  const root = asObject(json, []);
  const meta: StreamMetadata = {
    architectures: mapEntries(field(root, 'architectures', []), ['architectures'], (a, p) => {
      const arch = asObject(a, p);
      return { artifacts: mapEntries(field(arch, 'artifacts', p), [...p, 'artifacts'], parsePlatform) };
    }),
  };
  const stream = optionalString(root, 'stream', []);
  if (stream !== undefined) meta.stream = stream;
  return meta;
}

export type StreamRow = [architecture: string, platform: string, format: string];

/** Every (architecture, platform, format), sorted byte-wise (SPEC 2.4). */
export function listFormats(meta: StreamMetadata): StreamRow[] {
  const rows: StreamRow[] = [];
  for (const [arch, { artifacts }] of Object.entries(meta.architectures)) {
    for (const [platform, entry] of Object.entries(artifacts)) {
      for (const format of Object.keys(entry.formats)) rows.push([arch, platform, format]);
    }
  }
  return rows.sort((a, b) => compareUtf8(a[0], b[0]) || compareUtf8(a[1], b[1]) || compareUtf8(a[2], b[2]));
}

/** The list-stream table: header, aligned columns, last column unpadded (SPEC 2.4). */
export function formatStreamTable(rows: StreamRow[]): string {
  const all: StreamRow[] = [['Architecture', 'Platform', 'Format'], ...rows];
  // A loop, not Math.max(...rows): a spread of 100k+ rows overflows the stack.
  let w0 = 0;
  let w1 = 0;
  for (const r of all) {
    w0 = Math.max(w0, r[0].length);
    w1 = Math.max(w1, r[1].length);
  }
  return all.map(([a, p, f]) => `${a.padEnd(w0)}  ${p.padEnd(w1)}  ${f}\n`).join('');
}

/** The artifacts of one (architecture, platform, format), if the stream has them. */
export function findArtifacts(meta: StreamMetadata, arch: string, platform: string, format: string): ArtifactSet | undefined {
  const entry = Object.hasOwn(meta.architectures, arch) ? meta.architectures[arch] : undefined;
  const plat = entry && Object.hasOwn(entry.artifacts, platform) ? entry.artifacts[platform] : undefined;
  return plat && Object.hasOwn(plat.formats, format) ? plat.formats[format] : undefined;
}

const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:/;

/**
 * `<base>` joined with `<stream>.json` by URL reference resolution (SPEC 2.1).
 * The base may also be a directory path (E7): it becomes a file:// URL with a
 * trailing slash, so the stream file is looked up inside it.
 */
export function buildStreamUrl(base: string, stream: string): URL {
  try {
    const baseUrl = SCHEME.test(base) ? new URL(base) : pathToFileURL(resolve(base) + '/');
    return new URL(`${stream}.json`, baseUrl);
  } catch (err) {
    throw new ContextError('building stream URL', err);
  }
}
