// Writing an image (SPEC 2.9, shared by download and install), in one
// pipeline:
//
//   raw bytes → signature verifier → sha256 (stored) → progress
//     → decoder (strict) → sha256 (uncompressed) → limit → ImageSink
//
// The sink holds the first MiB back. Only after the pipeline has ended and
// the signature and sha256 checks passed, and the rest of the image is on
// the disk (fsync), is the first MiB committed (E4); then fsync again.
// Images shorter than 1 MiB work (E5).

import { pipeline } from 'node:stream/promises';
import type { FileHandle } from 'node:fs/promises';
import type { Transform } from 'node:stream';
import { ContextError, context } from '../util/errors.js';
import { info } from '../util/log.js';
import type { ImageSource } from './image-source.js';
import { checkSha256, createSha256Transform, type HashingTransform } from './hash.js';
import { writeFully } from './file-io.js';
import { HeadError, ImageSink, type HoldBack } from './image-sink.js';
import type { DirectTarget } from './direct-io.js';
import type { TrustedKeys } from './keys.js';
import { createLimitTransform } from './limit.js';
import { ProgressReporter, createProgressTransform, type ProgressOutput } from './progress.js';
import { createSignatureVerifier, type SignatureVerifier } from './verify.js';

export type { HoldBack };

export interface WriteImageOptions {
  /** Decode gzip/xz/zstd (sniffed); uncompressed data passes through. */
  decompress: boolean;
  keys: TrustedKeys;
  /** At most this many decoded bytes: 'partition 4 ("data")' → "collision with partition 4 ("data") at offset N". */
  limit?: { bytes: number; describe: string };
  /** SPEC 2.9 step 2 (install). */
  expectedSectorSize?: number;
  /** Default: zeros, then the first MiB at offset 0. */
  holdBack?: HoldBack;
  /** Ctrl-C. */
  signal?: AbortSignal;
  /** Where progress goes (default stderr). */
  progressOutput?: ProgressOutput;
  /** Write past the first MiB with O_DIRECT (install onto a block device). */
  direct?: DirectTarget;
}

/** Download's hold-back: zeros of the same length first, the real bytes at the end (SPEC 2.9 steps 3, 5). */
export const ZERO_HOLD_BACK: HoldBack = {
  async placeholder(dest, firstMiB) {
    await writeFully(dest, Buffer.alloc(firstMiB.length), 0).catch(context('clearing first MiB of disk'));
  },
  async commit(dest, firstMiB) {
    await writeFully(dest, firstMiB, 0).catch(context('writing first MiB of disk'));
  },
};

/** The codecs load only when an image is decoded; the size tells a one-block xz file (no parallel decoding). */
async function strictDecoder(lengthHint: number | undefined): Promise<Transform> {
  const { createStrictDecoder } = await import('./strict-decoder.js');
  return createStrictDecoder({ parallel: lengthHint !== undefined ? { lengthHint } : {} });
}

function abortReason(signal: AbortSignal | undefined): unknown {
  return signal?.aborted ? signal.reason : undefined;
}

/** Copy `source` into `dest` with every check of SPEC 2.9 and E3/E4. Throws on any failure. */
export async function writeImage(source: ImageSource, dest: FileHandle, opts: WriteImageOptions): Promise<void> {
  let verifier: SignatureVerifier | undefined;
  let decoder: Transform | undefined;
  try {
    if (source.signature !== undefined) verifier = await createSignatureVerifier(source.signature, opts.keys);
    if (opts.decompress) decoder = await strictDecoder(source.lengthHint);
  } catch (err) {
    source.stream.destroy();
    throw err;
  }
  const stages: Transform[] = [];
  if (verifier) stages.push(verifier.transform);
  let rawHash: HashingTransform | undefined;
  if (source.sha256 !== undefined) {
    rawHash = createSha256Transform();
    stages.push(rawHash.transform);
  }
  const reporter = new ProgressReporter({
    artifactType: source.artifactType,
    ...(source.lengthHint !== undefined ? { total: source.lengthHint } : {}),
    ...(opts.progressOutput ? { output: opts.progressOutput } : {}),
  });
  stages.push(createProgressTransform(reporter));
  if (decoder) stages.push(decoder);
  let decodedHash: HashingTransform | undefined;
  if (opts.decompress && source.uncompressedSha256 !== undefined) {
    decodedHash = createSha256Transform();
    stages.push(decodedHash.transform);
  }
  if (opts.limit) stages.push(createLimitTransform(opts.limit.bytes, opts.limit.describe));
  const holdBack = opts.holdBack ?? ZERO_HOLD_BACK;
  const sink = new ImageSink(dest, {
    holdBack,
    ...(opts.expectedSectorSize !== undefined ? { expectedSectorSize: opts.expectedSectorSize } : {}),
    ...(opts.direct !== undefined ? { direct: opts.direct } : {}),
  });

  try {
    await pipeline([source.stream, ...stages, sink], opts.signal ? { signal: opts.signal } : {});
  } catch (err) {
    // No queued write may land after the caller starts cleaning up (wiping the table).
    await sink.idle();
    const reason = abortReason(opts.signal);
    if (reason !== undefined) throw reason;
    if (err instanceof HeadError) throw err.inner;
    throw new ContextError(sink.pastFirstMiB ? 'decoding and writing image' : 'decoding first MiB of image', err);
  } finally {
    reporter.finish();
  }

  // Whole-stream checks, before the first MiB makes the image usable.
  if (verifier) {
    const good = await verifier.result();
    info(`Good signature from "${good.userId}" (key ID ${good.keyId})`);
  }
  if (rawHash && source.sha256 !== undefined) checkSha256('sha256', rawHash.digest(), source.sha256);
  if (decodedHash && source.uncompressedSha256 !== undefined) {
    checkSha256('uncompressed-sha256', decodedHash.digest(), source.uncompressedSha256);
  }
  // Power-cut safety: everything after the first MiB is on the disk before
  // the first MiB (the partition table that makes the disk bootable) is
  // written, so a cut at any moment leaves either no table of the image or
  // the whole image; then the first MiB itself is made durable.
  await dest.sync().catch(context('syncing data to disk'));
  await holdBack.commit(dest, sink.firstMiB);
  await dest.sync().catch(context('syncing data to disk'));
}
