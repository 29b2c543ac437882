// download (SPEC 2.7): banner, sources, then for each source the signature
// policy, the output name, the reuse check and a verified write into a
// temporary file that is renamed only when every check passed.

import { createReadStream } from 'node:fs';
import { readFile, unlink } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { rustJoin } from '../util/paths.js';
import { prestartDecoders } from '../io/codecs.js';
import { checkSha256, createSha256Transform } from '../io/hash.js';
import { loadTrustedKeys, type TrustedKeys } from '../io/keys.js';
import { createSignatureVerifier } from '../io/verify.js';
import { writeImage } from '../io/write-image.js';
import type { Retries } from '../source/http.js';
import { applySignaturePolicy, type ImageLocation, type ImageSource } from '../source/location.js';
import { StreamLocation } from '../source/stream-location.js';
import { UrlLocation } from '../source/url-location.js';
import { createAtomicFile, type AtomicFile } from '../util/atomic-file.js';
import { BUFFER_SIZE } from '../util/constants.js';
import { CliError, ContextError } from '../util/errors.js';
import { interruptSignal } from '../util/interrupt.js';
import { info } from '../util/log.js';
import { writeStdout } from '../util/stdio.js';

export interface DownloadConfig {
  stream: string;
  architecture: string;
  platform: string;
  format: string;
  /** Takes priority over the stream options (no conflict errors, as upstream). */
  imageUrl?: URL;
  directory: string;
  decompress: boolean;
  insecure: boolean;
  streamBaseUrl?: string;
  fetchRetries: Retries;
  signingKeys: string[];
}

/** SPEC 2.7 step 3.2: what -d does to a file name. `.zst` and `.bz2` are kept. */
export function outputName(filename: string, decompressFlag: boolean): { decompress: boolean; filename: string } {
  if (!decompressFlag || filename.endsWith('.tar.gz') || filename.endsWith('.tar.xz')) {
    return { decompress: false, filename };
  }
  for (const ext of ['.gz', '.xz']) {
    if (filename.endsWith(ext)) return { decompress: true, filename: filename.slice(0, -ext.length) };
  }
  return { decompress: false, filename };
}

function location(config: DownloadConfig): ImageLocation {
  if (config.imageUrl) return new UrlLocation(config.imageUrl, { retries: config.fetchRetries });
  return new StreamLocation({
    stream: config.stream,
    architecture: config.architecture,
    platform: config.platform,
    format: config.format,
    ...(config.streamBaseUrl !== undefined ? { baseUrl: config.streamBaseUrl } : {}),
    retries: config.fetchRetries,
  });
}

/**
 * SPEC 2.7 step 4: an existing file is kept when its signature file holds
 * the same bytes and the file verifies (and matches the stream's sha256).
 */
async function alreadyDownloaded(path: string, sigPath: string, source: ImageSource, keys: TrustedKeys): Promise<boolean> {
  if (source.signature === undefined) return false;
  try {
    const existing = await readFile(sigPath);
    if (!existing.equals(source.signature)) return false;
    const verifier = await createSignatureVerifier(source.signature, keys);
    const hash = createSha256Transform();
    const discard = new Writable({ write: (_chunk, _encoding, callback) => callback() });
    await pipeline(createReadStream(path, { highWaterMark: BUFFER_SIZE }), verifier.transform, hash.transform, discard);
    const good = await verifier.result();
    if (source.sha256 !== undefined) checkSha256('sha256', hash.digest(), source.sha256);
    info(`Good signature from "${good.userId}" (key ID ${good.keyId})`);
    return true;
  } catch {
    return false;
  }
}

async function openOutput(path: string): Promise<AtomicFile> {
  try {
    // 0666 & ~umask, like upstream's create+truncate; published by rename.
    return await createAtomicFile(path, { noClobber: false, mode: 0o666 });
  } catch (err) {
    throw new ContextError(`opening ${path}`, err);
  }
}

async function writeSource(source: ImageSource, config: DownloadConfig, keys: TrustedKeys, signal: AbortSignal): Promise<string> {
  applySignaturePolicy(source, config.insecure);
  const { decompress, filename } = outputName(source.filename, config.decompress);
  const path = rustJoin(config.directory, filename);
  const sigPath = `${path}.sig`;
  if (!decompress && (await alreadyDownloaded(path, sigPath, source, keys))) {
    source.stream.destroy();
    return path;
  }
  const image = await openOutput(path);
  let sig: AtomicFile | undefined;
  let published = false;
  try {
    await writeImage(source, image.handle, { decompress, keys, signal });
    if (!config.decompress && source.signature !== undefined) {
      sig = await openOutput(sigPath);
      await sig.handle.writeFile(source.signature).catch((err: unknown) => {
        throw new ContextError('writing signature data', err);
      });
    }
    await image.commit();
    published = true;
    await sig?.commit();
  } catch (err) {
    await image.discard();
    await sig?.discard();
    if (published) await unlink(path).catch(() => undefined);
    throw err;
  }
  return path;
}

export async function download(config: DownloadConfig): Promise<void> {
  const keys = await loadTrustedKeys(config.signingKeys);
  // Decoder threads start while the image is requested (as in install).
  const named = config.imageUrl?.pathname;
  if (named !== undefined && outputName(named, config.decompress).decompress) prestartDecoders(named);
  const where = location(config);
  info(where.describe());
  const sources = await where.sources();
  if (sources.length === 0) throw new CliError('no artifacts found');
  const signal = interruptSignal();
  try {
    for (const source of sources) {
      const path = await writeSource(source, config, keys, signal);
      await writeStdout(`${path}\n`);
    }
  } finally {
    for (const source of sources) source.stream.destroy();
  }
}
