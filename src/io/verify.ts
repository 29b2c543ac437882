// Detached OpenPGP signature verification while streaming (SPEC 2.9 step 2,
// 2.10; E1): a pass-through Transform feeds every byte to openpgp, and
// result() gives the verdict once the stream has ended.
//
// openpgp reads a web ReadableStream; the Transform holds each chunk's
// callback until that stream wants more, so memory stays bounded whatever
// the speed of either side.

import { Transform } from 'node:stream';
import { CountQueuingStrategy, ReadableStream, type ReadableStreamDefaultController } from 'node:stream/web';
import type { PublicKey, Signature } from 'openpgp';
import { CliError } from '../util/errors.js';
import type { TrustedKeys } from './keys.js';

/** Upstream's error (SPEC 2.10), with openpgp's reason as the cause. */
export class VerificationError extends CliError {
  override name = 'VerificationError';
  constructor(cause: unknown) {
    super('GPG verification failure', { cause });
  }
}

export interface VerifiedSignature {
  /** 16 hex digits, upper case, of the key (or subkey) that made the signature. */
  keyId: string;
  /** First user ID of the signing key's primary key. */
  userId: string;
}

export interface SignatureVerifier {
  /** Pass-through: every byte written is passed on unchanged and verified. */
  readonly transform: Transform;
  /** The verdict once the transform has ended (cached; rejects with VerificationError). */
  result(): Promise<VerifiedSignature>;
}

/** Chunks queued for openpgp before the Transform waits. */
const QUEUED_CHUNKS = 4;

async function parseSignature(signature: Buffer): Promise<Signature> {
  const openpgp = await import('openpgp');
  try {
    return await openpgp.readSignature({
      binarySignature: new Uint8Array(signature.buffer, signature.byteOffset, signature.byteLength),
    });
  } catch (err) {
    throw new VerificationError(err);
  }
}

function signingKey(keys: PublicKey[], signature: Signature): PublicKey | undefined {
  for (const id of signature.getSigningKeyIDs()) {
    const key = keys.find((k) => k.getKeys(id).length > 0);
    if (key) return key;
  }
  return undefined;
}

/**
 * Start verifying `signature` (binary, detached) against `keys`. Fails at
 * once, before any data, when the signature cannot be parsed or none of its
 * signing keys is trusted.
 */
export async function createSignatureVerifier(signature: Buffer, keys: TrustedKeys): Promise<SignatureVerifier> {
  const sig = await parseSignature(signature);
  const key = signingKey(keys.keys, sig);
  if (!key) {
    const ids = sig.getSigningKeyIDs().map((id) => id.toHex());
    throw new VerificationError(new Error(`Could not find signing key with key ID ${ids.join(', ') || '(none)'}`));
  }

  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  let waiting: (() => void) | undefined;
  let feeding = true;
  const release = (): void => {
    const w = waiting;
    waiting = undefined;
    w?.();
  };
  const input = new ReadableStream<Uint8Array>(
    {
      start: (c) => {
        controller = c;
      },
      pull: release,
      cancel: () => {
        feeding = false;
        release();
      },
    },
    new CountQueuingStrategy({ highWaterMark: QUEUED_CHUNKS }),
  );
  // start() runs synchronously inside the constructor.
  const feed = controller as ReadableStreamDefaultController<Uint8Array>;

  const openpgp = await import('openpgp');
  const message = await openpgp.createMessage({ binary: input });
  const { data, signatures } = await openpgp.verify({ message, signature: sig, verificationKeys: keys.keys, format: 'binary' });

  const drained = (async () => {
    // getReader(), not for-await: openpgp patches getReader on this stream (DEPENDENCIES §4).
    const reader = data.getReader();
    for (;;) {
      const { done } = await reader.read();
      if (done) return;
    }
  })();
  drained.catch(() => {
    feeding = false;
    release();
  });

  const verdict = (async (): Promise<VerifiedSignature> => {
    try {
      await drained;
      let firstError: unknown;
      for (const s of signatures) {
        try {
          await s.verified;
          return { keyId: s.keyID.toHex().toUpperCase(), userId: key.getUserIDs()[0] ?? '' };
        } catch (err) {
          firstError ??= err;
        }
      }
      throw firstError ?? new Error('no signature found');
    } catch (err) {
      throw new VerificationError(err);
    }
  })();
  verdict.catch(() => undefined);
  for (const s of signatures) s.verified.catch(() => undefined);

  const transform = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (!feeding) {
        callback(null, chunk);
        return;
      }
      feed.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.push(chunk);
      if ((feed.desiredSize ?? 0) > 0) callback();
      else waiting = () => callback();
    },
    flush(callback) {
      if (feeding) {
        feeding = false;
        feed.close();
      }
      callback();
    },
    destroy(err, callback) {
      if (feeding) {
        feeding = false;
        feed.error(err ?? new Error('stream destroyed before the end'));
      }
      release();
      callback(err);
    },
  });

  return { transform, result: () => verdict };
}
