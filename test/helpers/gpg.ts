// OpenPGP keys and detached signatures made by the real gpg, in a private
// GNUPGHOME under a test's temporary directory.

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface GpgKey {
  /** Armored public key file. */
  publicKeyFile: string;
  /** 16 hex digits, upper case. */
  keyId: string;
  /** Write a binary detached signature of `file` to `sigFile` (default `<file>.sig`). */
  sign(file: string, sigFile?: string): string;
  /** Stop the gpg-agent of this home. */
  close(): void;
}

/** Generate an ed25519 signing key in `<dir>/<name>-gnupg`. */
export function makeGpgKey(dir: string, name = 'signer'): GpgKey {
  const home = join(dir, `${name}-gnupg`);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const env = { ...process.env, GNUPGHOME: home };
  const gpg = (args: string[]): Buffer => execFileSync('gpg', ['--batch', '--quiet', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  gpg(['--passphrase', '', '--quick-gen-key', `Test ${name} <${name}@example.invalid>`, 'ed25519', 'sign', 'never']);
  const publicKeyFile = join(dir, `${name}.pub.asc`);
  writeFileSync(publicKeyFile, gpg(['--armor', '--export']));
  const pub = gpg(['--with-colons', '--list-keys'])
    .toString()
    .split('\n')
    .find((l) => l.startsWith('pub:'));
  const keyId = pub?.split(':')[4] ?? '';
  return {
    publicKeyFile,
    keyId,
    sign(file, sigFile = `${file}.sig`) {
      gpg(['--yes', '--pinentry-mode', 'loopback', '--passphrase', '', '--detach-sign', '-o', sigFile, file]);
      return sigFile;
    },
    close() {
      try {
        execFileSync('gpgconf', ['--kill', 'gpg-agent'], { env, stdio: 'ignore' });
      } catch {
        // gpgconf missing or the agent already gone: nothing to stop.
      }
    },
  };
}
