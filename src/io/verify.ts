// Detached OpenPGP signature verification while streaming (SPEC 2.9 step 2,
// 2.10; E1): a pass-through Transform feeds every byte to openpgp, and
// result() gives the verdict once the stream has ended.
//
// The usual signature (version 4 or 6, binary, a hash Node's crypto knows)
// is checked the fast way: the data is hashed with node:crypto as it passes,
// then openpgp checks the signature over that digest and the signing key's
// validity, as its own verify() does for streamed messages. Anything else goes
// through openpgp's streaming verify: it reads a web ReadableStream, and the
// Transform holds each chunk's callback until that stream wants more, so
// memory stays bounded whatever the speed of either side. Both give the same
// verdicts; openpgp's stream plumbing only costs more time (a signed install
// was 1.5x slower with it).

import { createHash, getHashes } from 'node:crypto';
import { Transform } from 'node:stream';
import { CountQueuingStrategy, ReadableStream, type ReadableStreamDefaultController } from 'node:stream/web';
import type { PublicKey, Signature, SignaturePacket } from 'openpgp';
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

/** Fields of a signature packet the digest path reads (openpgp's types omit `salt`). */
type DigestPacket = SignaturePacket & { salt?: Uint8Array; hashed?: Promise<Uint8Array> };

/** The node:crypto name of the packet's hash, when the digest path can take the packet. */
async function digestHashName(packet: DigestPacket): Promise<string | undefined> {
  const { enums } = await import('openpgp');
  if (packet.version !== 4 && packet.version !== 6) return undefined;
  if (packet.signatureType !== enums.signature.binary || packet.hashAlgorithm === null || !packet.signatureData) return undefined;
  const name = enums.read(enums.hash, packet.hashAlgorithm).replace('_', '-');
  return getHashes().includes(name) ? name : undefined;
}

/** Hash as the data passes; at the end, let openpgp check the signature over the digest. */
function createDigestVerifier(packet: DigestPacket, hashName: string, key: PublicKey): SignatureVerifier {
  const hasher = createHash(hashName);
  if (packet.version === 6 && packet.salt) hasher.update(packet.salt);
  let ended: () => void = () => undefined;
  let failed: (err: unknown) => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    ended = resolve;
    failed = reject;
  });
  const verdict = (async (): Promise<VerifiedSignature> => {
    await done;
    const openpgp = await import('openpgp');
    // The trailer of RFC 9580 5.2.4: hashed signature fields, then version, 0xFF, their length.
    const fields = packet.signatureData as Uint8Array;
    const trailer = Buffer.alloc(6);
    trailer[0] = packet.version;
    trailer[1] = 0xff;
    trailer.writeUInt32BE(fields.length, 2);
    hasher.update(fields).update(trailer);
    packet.hashed = Promise.resolve(new Uint8Array(hasher.digest()));
    // As openpgp's createVerificationObject, with the digest already computed.
    const subkey = key.getKeys(packet.issuerKeyID)[0];
    if (!subkey) throw new Error(`Could not find signing key with key ID ${packet.issuerKeyID.toHex()}`);
    await packet.verify(subkey.keyPacket, openpgp.enums.signature.binary, {}, new Date(), true, openpgp.config);
    if (packet.created === null || subkey.getCreationTime() > packet.created) throw new Error('Key is newer than the signature');
    await key.getSigningKey(subkey.getKeyID(), packet.created, undefined, openpgp.config);
    return { keyId: packet.issuerKeyID.toHex().toUpperCase(), userId: key.getUserIDs()[0] ?? '' };
  })().catch((err: unknown) => {
    throw new VerificationError(err);
  });
  verdict.catch(() => undefined);
  const transform = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hasher.update(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      ended();
      callback();
    },
    destroy(err, callback) {
      failed(err ?? new Error('stream destroyed before the end'));
      callback(err);
    },
  });
  return { transform, result: () => verdict };
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
  const packets = sig.packets.filterByTag((await import('openpgp')).enums.packet.signature) as unknown as DigestPacket[];
  const [packet] = packets;
  if (packets.length === 1 && packet && key.getKeys(packet.issuerKeyID).length > 0) {
    const hashName = await digestHashName(packet);
    if (hashName !== undefined) return createDigestVerifier(packet, hashName, key);
  }
  return createStreamVerifier(sig, key, keys);
}

/** openpgp's own streaming verification (the general path). */
async function createStreamVerifier(sig: Signature, key: PublicKey, keys: TrustedKeys): Promise<SignatureVerifier> {
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
