// --ignition-hash digests (SPEC 1.16.3, 3.8.3). Pure.

import { createHash } from 'node:crypto';
import { CliError, ContextError } from '../util/errors.js';

export interface IgnitionHash {
  type: 'sha256' | 'sha512';
  digest: Buffer;
}

const LENGTHS = { sha256: 32, sha512: 64 } as const;

/** Parse `<type>-<hex>`; throws Error(reason) with upstream's texts. */
export function parseIgnitionHash(input: string): IgnitionHash {
  const dash = input.indexOf('-');
  if (dash < 0) throw new Error(`failed to detect hash-type and digest in '${input}'`);
  const type = input.slice(0, dash);
  const hex = input.slice(dash + 1);
  if (type !== 'sha256' && type !== 'sha512') throw new Error(`unknown hash type '${type}'`);
  if (hex.length % 2 !== 0) throw new ContextError('decoding hex digest', new Error('Odd number of digits'));
  const bad = /[^0-9a-fA-F]/.exec(hex);
  if (bad) throw new ContextError('decoding hex digest', new Error(`Invalid character '${bad[0]}' at position ${bad.index}`));
  const digest = Buffer.from(hex, 'hex');
  if (digest.length !== LENGTHS[type]) throw new Error(`wrong digest length (${digest.length * 8})`);
  return { type, digest };
}

export function formatIgnitionHash(h: IgnitionHash): string {
  return `${h.type}-${h.digest.toString('hex')}`;
}

/** Throws `hash mismatch, computed '<hex>' but expected '<hex>'`. */
export function verifyIgnitionHash(h: IgnitionHash, data: Buffer): void {
  const computed = createHash(h.type).update(data).digest();
  if (!computed.equals(h.digest)) {
    throw new CliError(`hash mismatch, computed '${computed.toString('hex')}' but expected '${h.digest.toString('hex')}'`);
  }
}
