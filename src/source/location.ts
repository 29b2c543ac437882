// Where image bytes come from (SPEC 2.5): a location prints a banner and
// yields sources; a source is one artifact's byte stream plus what is known
// about it. The signature policy of SPEC 2.6 applies to every source.

import type { Readable } from 'node:stream';
import { CliError } from '../util/errors.js';
import { info } from '../util/log.js';

export interface ImageSource {
  /** Raw bytes as stored (compressed); URL streams resume by themselves. */
  stream: Readable;
  /** File size / Content-Length; 0 or undefined = unknown. */
  lengthHint?: number;
  /** Detached binary OpenPGP signature, if one was found. */
  signature?: Buffer;
  filename: string;
  /** 'disk' unless the source comes from stream metadata. */
  artifactType: string;
  /** sha256 of the stored bytes, from the stream document (E3). */
  sha256?: string;
  /** sha256 after decompression, from the stream document (E3). */
  uncompressedSha256?: string;
}

export interface ImageLocation {
  /** The banner printed on stderr before fetching (SPEC 2.5). */
  describe(): string;
  /** Fetch the signatures and open the byte streams. */
  sources(): Promise<ImageSource[]>;
  /** Whether a missing signature is an error without --insecure (all but osmet). */
  requiresSignature(): boolean;
}

/** SPEC 2.6: a missing signature needs --insecure; a bad one is never allowed. */
export function applySignaturePolicy(source: ImageSource, insecure: boolean): void {
  if (source.signature !== undefined) return;
  if (!insecure) throw new CliError('--insecure not specified and signature not found');
  info('Signature not found; skipping verification as requested');
}
