import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readResource } from '../../src/util/resources.js';
import { BUILTIN_KEYRING, loadTrustedKeys, parseKeyring, type TrustedKeys } from '../../src/io/keys.js';
import { createSignatureVerifier } from '../../src/io/verify.js';
import { errorChain } from '../../src/util/errors.js';
import { needs } from '../helpers/env.js';
import { makeGpgKey, type GpgKey } from '../helpers/gpg.js';
import { fixture, tmpDir } from '../helpers/tmp.js';

const TEST_KEY = fixture('verify', 'test-key.pub.asc');
const DATA = readFileSync(fixture('verify', 'test-key.priv.asc'));
const SIG = readFileSync(fixture('verify', 'test-key.priv.asc.sig'));

/** Pass `data` through a verifier in small chunks; return what came out and the verdict. */
async function verify(data: Buffer, sig: Buffer, keys: TrustedKeys, chunk = 97): Promise<{ out: Buffer; error?: unknown }> {
  const verifier = await createSignatureVerifier(sig, keys);
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunk) chunks.push(data.subarray(i, i + chunk));
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks), verifier.transform, new Writable({ write: (c: Buffer, _e, cb) => (out.push(c), cb()) }));
  try {
    await verifier.result();
    return { out: Buffer.concat(out) };
  } catch (error) {
    return { out: Buffer.concat(out), error };
  }
}

let keys: TrustedKeys;
beforeAll(async () => {
  keys = await loadTrustedKeys([TEST_KEY]);
});

describe('keys', () => {
  it('the shipped keyring holds every armor block (four Fedora CoreOS keys for now)', async () => {
    const ids = (await parseKeyring(readResource(BUILTIN_KEYRING))).map((k) => k.getKeyID().toHex().toUpperCase());
    expect(ids).toEqual(['199E2F91FD431D51', '829B606631645531', 'DBFCF71C6D9F90A6', '655A4B02F577861E']);
    expect(keys.keys).toHaveLength(5);
  });

  it('a missing or malformed --signing-key file is a clear error', async () => {
    const dir = tmpDir();
    const bad = join(dir, 'bad.asc');
    writeFileSync(bad, 'not a key');
    expect(errorChain(await loadTrustedKeys([bad]).catch((e: unknown) => e))[0]).toBe(`parsing signing key ${bad}`);
    const missing = join(dir, 'missing.asc');
    expect(errorChain(await loadTrustedKeys([missing]).catch((e: unknown) => e))).toEqual([
      `reading signing key ${missing}`,
      'No such file or directory (os error 2)',
    ]);
  });
});

describe('streaming verification with the fixtures (SPEC 7.3)', () => {
  it('good data verifies, passes through unchanged, and the result is cached', async () => {
    const verifier = await createSignatureVerifier(SIG, keys);
    const out: Buffer[] = [];
    await pipeline(Readable.from([DATA]), verifier.transform, new Writable({ write: (c: Buffer, _e, cb) => (out.push(c), cb()) }));
    expect(Buffer.concat(out).equals(DATA)).toBe(true);
    const first = await verifier.result();
    expect(first.keyId).toBe('5FBDA8071BF24B78');
    expect(first.userId).toContain('snake oil');
    expect(await verifier.result()).toEqual(first);
  });

  it.each(['1M.gz', '1M.xz', '1M.zst'])('%s verifies against its signature', async (name) => {
    const data = readFileSync(fixture('verify', name));
    const { error } = await verify(data, readFileSync(fixture('verify', `${name}.sig`)), keys, 7);
    expect(error).toBeUndefined();
  });

  it('1M.sig covers 1 MiB of zeros', async () => {
    const { error } = await verify(Buffer.alloc(1 << 20), readFileSync(fixture('verify', '1M.sig')), keys, 65536);
    expect(error).toBeUndefined();
  });

  it('a changed last byte fails, every time it is asked', async () => {
    const bad = Buffer.from(DATA);
    bad[bad.length - 1] = '!'.charCodeAt(0);
    const verifier = await createSignatureVerifier(SIG, keys);
    await pipeline(Readable.from([bad]), verifier.transform, new Writable({ write: (_c, _e, cb) => cb() }));
    for (let i = 0; i < 2; i++) {
      const err = await verifier.result().catch((e: unknown) => e);
      expect(errorChain(err)).toEqual(['GPG verification failure', 'Signed digest did not match']);
    }
  });

  it('truncated data fails', async () => {
    const { error } = await verify(DATA.subarray(0, 1000), SIG, keys);
    expect(errorChain(error)[0]).toBe('GPG verification failure');
  });

  it('a signature of another file fails', async () => {
    const { error } = await verify(readFileSync(fixture('verify', '1M.gz')), readFileSync(fixture('verify', '1M.xz.sig')), keys);
    expect(errorChain(error)).toEqual(['GPG verification failure', 'Signed digest did not match']);
  });

  it('a signature by an unknown key fails before any data', async () => {
    const err = await createSignatureVerifier(readFileSync(fixture('verify', 'test-key.priv.asc.random.sig')), keys).catch(
      (e: unknown) => e,
    );
    expect(errorChain(err)).toEqual(['GPG verification failure', 'Could not find signing key with key ID 0ac91e404f72b566']);
  });

  it('the test key is not trusted by default', async () => {
    const err = await createSignatureVerifier(SIG, await loadTrustedKeys([])).catch((e: unknown) => e);
    expect(errorChain(err)).toEqual(['GPG verification failure', 'Could not find signing key with key ID 5fbda8071bf24b78']);
  });

  it('garbage instead of a signature fails', async () => {
    const err = await createSignatureVerifier(Buffer.from('garbage'), keys).catch((e: unknown) => e);
    expect(errorChain(err)[0]).toBe('GPG verification failure');
  });

  it('a stream destroyed half-way does not hang or leave a pending rejection', async () => {
    const verifier = await createSignatureVerifier(SIG, keys);
    const source = new Readable({ read() {} });
    source.push(DATA.subarray(0, 100));
    const done = pipeline(source, verifier.transform, new Writable({ write: (_c, _e, cb) => cb() }));
    setTimeout(() => source.destroy(new Error('boom')), 10);
    await expect(done).rejects.toThrow('boom');
    await expect(verifier.result()).rejects.toThrow('GPG verification failure');
  });

  it('memory stays bounded when the reader is slow (backpressure through openpgp)', async () => {
    const verifier = await createSignatureVerifier(SIG, keys);
    let pulled = 0;
    const source = new Readable({
      read() {
        pulled++;
        this.push(pulled < 10_000 ? Buffer.alloc(1024) : null);
      },
    });
    // The reader takes one chunk and then stalls: without backpressure the
    // source would be drained whole (10,000 pulls), however fast the machine.
    let release: (() => void) | undefined;
    const stalled = new Writable({ highWaterMark: 1, write: (_c, _e, cb) => (release = cb) });
    const done = pipeline(source, verifier.transform, stalled);
    // Wait until pulling has stopped: unchanged over many turns of the event loop.
    for (let last = -1, same = 0; same < 50; ) {
      await new Promise((r) => setImmediate(r));
      same = pulled === last ? same + 1 : 0;
      last = pulled;
    }
    expect(release).toBeDefined();
    expect(pulled).toBeLessThan(200);
    source.destroy();
    release?.();
    await done.catch(() => undefined);
  });
});

describe.skipIf(needs({ tools: ['gpg'] }))('keys and signatures made by gpg', () => {
  let key: GpgKey;
  let other: GpgKey;
  const dir = tmpDir();
  beforeAll(() => {
    key = makeGpgKey(dir, 'signer');
    other = makeGpgKey(dir, 'stranger');
  });
  afterAll(() => {
    key.close();
    other.close();
  });

  it('verifies with --signing-key, fails without it or with another key', async () => {
    const file = join(dir, 'data.bin');
    writeFileSync(file, Buffer.alloc(300_000, 7));
    const sig = readFileSync(key.sign(file));
    const data = readFileSync(file);
    expect((await verify(data, sig, await loadTrustedKeys([key.publicKeyFile]), 65536)).error).toBeUndefined();
    const err = await createSignatureVerifier(sig, await loadTrustedKeys([other.publicKeyFile])).catch((e: unknown) => e);
    expect(errorChain(err)).toEqual(['GPG verification failure', `Could not find signing key with key ID ${key.keyId.toLowerCase()}`]);
    const tampered = Buffer.from(data);
    tampered.writeUInt8(tampered.readUInt8(150_000) ^ 1, 150_000);
    expect(errorChain((await verify(tampered, sig, await loadTrustedKeys([key.publicKeyFile]), 65536)).error)).toEqual([
      'GPG verification failure',
      'Signed digest did not match',
    ]);
  });

  it("a text-mode signature takes openpgp's streaming path with the same verdicts", async () => {
    const { execFileSync } = await import('node:child_process');
    const file = join(dir, 'notes.txt');
    writeFileSync(file, 'line one\nline two\n'.repeat(5000));
    const sigFile = join(dir, 'notes.txt.sig');
    const env = { ...process.env, GNUPGHOME: join(dir, 'signer-gnupg') };
    execFileSync(
      'gpg',
      ['--batch', '--yes', '--pinentry-mode', 'loopback', '--passphrase', '', '--textmode', '--detach-sign', '-o', sigFile, file],
      { env },
    );
    const trusted = await loadTrustedKeys([key.publicKeyFile]);
    const data = readFileSync(file);
    const sig = readFileSync(sigFile);
    expect((await verify(data, sig, trusted, 4096)).error).toBeUndefined();
    const tampered = Buffer.concat([data, Buffer.from('!')]);
    expect(errorChain((await verify(tampered, sig, trusted, 4096)).error)[0]).toBe('GPG verification failure');
  });

  it('reads binary keyrings (gpg --export without --armor)', async () => {
    const { execFileSync } = await import('node:child_process');
    const bin = join(dir, 'signer.gpg');
    writeFileSync(bin, execFileSync('gpg', ['--batch', '--export'], { env: { ...process.env, GNUPGHOME: join(dir, 'signer-gnupg') } }));
    const k = await loadTrustedKeys([bin]);
    expect(k.keys.at(-1)?.getKeyID().toHex().toUpperCase()).toBe(key.keyId);
  });
});
