// Trusted OpenPGP keys (SPEC 2.10, E1, E2): the keyring shipped in the
// package (keys/signing-keys.asc) plus any --signing-key files.

import { readFile } from 'node:fs/promises';
import type { PublicKey } from 'openpgp';
import { ContextError, context } from '../util/errors.js';
import { readResource } from '../util/resources.js';

/** The keyring shipped at the package root (an asset of the standalone executable). */
export const BUILTIN_KEYRING = 'keys/signing-keys.asc';

export interface TrustedKeys {
  keys: PublicKey[];
}

const ARMOR_BLOCK = /-----BEGIN PGP PUBLIC KEY BLOCK-----[\s\S]*?-----END PGP PUBLIC KEY BLOCK-----/g;

/**
 * Parse a keyring: binary (gpg --export) or armored, where a file may hold
 * several armor blocks one after another (the shipped keyring does).
 */
export async function parseKeyring(data: Buffer): Promise<PublicKey[]> {
  const openpgp = await import('openpgp');
  const text = data.toString('latin1');
  if (!text.includes('-----BEGIN PGP')) {
    const keys = await openpgp.readKeys({ binaryKeys: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
    return keys.map((k) => k.toPublic());
  }
  const blocks = text.match(ARMOR_BLOCK) ?? [];
  if (blocks.length === 0) throw new Error('no public key block found');
  const out: PublicKey[] = [];
  for (const block of blocks) {
    for (const key of await openpgp.readKeys({ armoredKeys: block })) out.push(key.toPublic());
  }
  return out;
}

async function loadKeyring(path: string, builtin = false): Promise<PublicKey[]> {
  const data = builtin ? readResource(path) : await readFile(path).catch(context(`reading signing key ${path}`));
  try {
    return await parseKeyring(data);
  } catch (err) {
    throw new ContextError(`parsing signing key ${path}`, err);
  }
}

/** The built-in keyring plus `extraKeyFiles` (armored or binary public keys). */
export async function loadTrustedKeys(extraKeyFiles: string[]): Promise<TrustedKeys> {
  const keys = await loadKeyring(BUILTIN_KEYRING, true);
  for (const file of extraKeyFiles) keys.push(...(await loadKeyring(file)));
  return { keys };
}
