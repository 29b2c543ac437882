// Where image bytes come from (SPEC 2.5): a location prints a banner and
// yields sources; a source is one artifact's byte stream plus what is known
// about it. The signature policy of SPEC 2.6 applies to every source.

import { CliError } from '../util/errors.js';
import { info } from '../util/log.js';

import type { ImageSource } from '../io/image-source.js';

export type { ImageSource };

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
