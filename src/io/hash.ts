// SHA-256 of the bytes flowing through a pipeline (E3): a pass-through
// Transform with digest() once it has ended.

import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { CliError } from '../util/errors.js';

export interface HashingTransform {
  readonly transform: Transform;
  /** Hex digest; valid after the transform has ended. */
  digest(): string;
}

export function createSha256Transform(): HashingTransform {
  const hash = createHash('sha256');
  let hex: string | undefined;
  const transform = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  return {
    transform,
    digest: () => (hex ??= hash.digest('hex')),
  };
}

/**
 * Fail like a bad signature when the digest differs (E3). `what` names the
 * stream field: "sha256" or "uncompressed-sha256".
 */
export function checkSha256(what: string, computed: string, expected: string): void {
  if (computed.toLowerCase() !== expected.trim().toLowerCase()) {
    throw new CliError(`${what} verification failure`, {
      cause: new Error(`hash mismatch, computed '${computed}' but expected '${expected}'`),
    });
  }
}
