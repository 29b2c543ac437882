// download end to end: the built CLI against a real HTTP server on
// 127.0.0.1, with keys and signatures made by gpg.

import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { needs } from '../helpers/env.js';
import { makeGpgKey, type GpgKey } from '../helpers/gpg.js';
import { serveDir, type ServedDir } from '../helpers/http-server.js';
import { tmpDir } from '../helpers/tmp.js';

const skip = needs({ tools: ['gpg', 'xz'] });
const dir = tmpDir();
const srv = join(dir, 'srv');
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const NAME = 'nestos-1.0-metal.x86_64.raw.xz';
let raw: Buffer;
let xz: Buffer;
let key: GpgKey;
let stranger: GpgKey;
let server: ServedDir;
let outCount = 0;

function env(): Record<string, string> {
  return { NESTOS_INSTALLER_RETRY_DELAY_MS: '1' };
}

function outDir(): string {
  const d = join(dir, `out-${outCount++}`);
  mkdirSync(d);
  return d;
}

function streamDoc(base: string, overrides: Record<string, string> = {}): string {
  const disk = {
    location: `${base}${NAME}`,
    signature: `${base}${NAME}.sig`,
    sha256: sha(xz),
    'uncompressed-sha256': sha(raw),
    ...overrides,
  };
  return JSON.stringify({ stream: 'stable', architectures: { x86_64: { artifacts: { metal: { formats: { 'raw.xz': { disk } } } } } } });
}

beforeAll(async () => {
  if (skip) return;
  mkdirSync(srv);
  key = makeGpgKey(dir, 'nestos');
  stranger = makeGpgKey(dir, 'stranger');
  // 3 MiB that compress a little: random blocks between runs of zeros.
  raw = Buffer.concat(Array.from({ length: 12 }, (_, i) => (i % 2 ? Buffer.alloc(256 * 1024) : randomBytes(256 * 1024))));
  xz = execFileSync('xz', ['-c', '-0', '--check=crc32'], { input: raw, maxBuffer: 64 << 20 });
  writeFileSync(join(srv, NAME), xz);
  key.sign(join(srv, NAME));
  // The same bytes with one flipped, under the good signature.
  const bad = Buffer.from(xz);
  bad.writeUInt8(bad.readUInt8(bad.length >> 1) ^ 0x40, bad.length >> 1);
  writeFileSync(join(srv, 'tampered.raw.xz'), bad);
  writeFileSync(join(srv, 'tampered.raw.xz.sig'), readFileSync(join(srv, `${NAME}.sig`)));
  writeFileSync(join(srv, 'untrusted.raw.xz'), xz);
  stranger.sign(join(srv, 'untrusted.raw.xz'));
  writeFileSync(join(srv, 'unsigned.raw.xz'), xz);
  writeFileSync(join(srv, 'small.img'), 'a small artifact\n');
  key.sign(join(srv, 'small.img'));
  server = await serveDir(srv);
  writeFileSync(join(srv, 'stable.json'), streamDoc(server.url));
  writeFileSync(join(srv, 'badsha.json'), streamDoc(server.url, { sha256: sha(Buffer.from('x')) }));
});
afterAll(async () => {
  await server?.close();
  key?.close();
  stranger?.close();
});

const keyArgs = (): string[] => ['--signing-key', key.publicKeyFile];

describe.skipIf(skip)('download', () => {
  it('a stream artifact: verified, file and .sig in -C DIR, path on stdout', async () => {
    const out = outDir();
    const r = await runCli(['download', '-C', out, '--stream-base-url', server.url, '-a', 'x86_64', ...keyArgs()], { env: env() });
    expect(r.stderr).toBe(
      `Downloading x86_64 metal image (raw.xz) and signature referenced from ${server.url}stable.json\n` +
        `Read disk ${fmt(xz.length)}/${fmt(xz.length)} (100%)\n` +
        `Good signature from "Test nestos <nestos@example.invalid>" (key ID ${key.keyId})\n`,
    );
    expect(r.status).toBe(0);
    expect(r.out).toBe(`${out}/${NAME}\n`);
    expect(readdirSync(out).sort()).toEqual([NAME, `${NAME}.sig`]);
    expect(sha(readFileSync(join(out, NAME)))).toBe(sha(xz));
    expect(readFileSync(join(out, `${NAME}.sig`)).equals(readFileSync(join(srv, `${NAME}.sig`)))).toBe(true);
    expect(statSync(join(out, NAME)).mode & 0o777).toBe(0o666 & ~process.umask());

    // Run again: the verified file is reused, not downloaded again.
    const before = statSync(join(out, NAME));
    const again = await runCli(['download', '-C', out, '--stream-base-url', server.url, '-a', 'x86_64', ...keyArgs()], { env: env() });
    expect(again.status).toBe(0);
    expect(again.out).toBe(`${out}/${NAME}\n`);
    expect(again.stderr).not.toContain('Read disk');
    expect(statSync(join(out, NAME)).ino).toBe(before.ino);

    // A file that no longer verifies (one byte appended) is downloaded again.
    writeFileSync(join(out, NAME), Buffer.concat([xz, Buffer.from([0])]));
    const third = await runCli(['download', '-C', out, '--stream-base-url', server.url, '-a', 'x86_64', ...keyArgs()], { env: env() });
    expect(third.status).toBe(0);
    expect(third.stderr).toContain('Read disk');
    expect(sha(readFileSync(join(out, NAME)))).toBe(sha(xz));
    expect(readdirSync(out).sort()).toEqual([NAME, `${NAME}.sig`]);
  });

  it('-u URL: banner, .sig beside it, default directory naming', async () => {
    const out = outDir();
    const url = `${server.url}small.img`;
    const r = await runCli(['download', '-u', url, ...keyArgs()], { cwd: out, env: env() });
    expect(r.status).toBe(0);
    expect(r.stderr.split('\n').slice(0, 2)).toEqual([`Downloading image from ${url}`, `Downloading signature from ${url}.sig`]);
    expect(r.out).toBe('./small.img\n');
    // E5: under 1 MiB is fine.
    expect(readFileSync(join(out, 'small.img'), 'utf8')).toBe('a small artifact\n');
    expect(readdirSync(out).sort()).toEqual(['small.img', 'small.img.sig']);
  });

  it('-d leaves the decompressed image (uncompressed-sha256 checked) and no .sig', async () => {
    const out = outDir();
    const r = await runCli(['download', '-d', '-C', out, '--stream-base-url', server.url, '-a', 'x86_64', ...keyArgs()], { env: env() });
    expect(r.stderr).not.toContain('Error');
    expect(r.status).toBe(0);
    expect(r.out).toBe(`${out}/${NAME.slice(0, -3)}\n`);
    expect(readdirSync(out)).toEqual([NAME.slice(0, -3)]);
    expect(sha(readFileSync(join(out, NAME.slice(0, -3))))).toBe(sha(raw));
  });

  it('a connection dropped half-way is resumed with Range (--fetch-retries 3)', async () => {
    const third = Math.floor(xz.length / 3);
    const dropping = await serveDir(srv, { dropAfterBytes: third, dropCount: 2, dropPathSuffix: '.raw.xz' });
    try {
      const out = outDir();
      const url = `${dropping.url}${NAME}`;
      const r = await runCli(['download', '-u', url, '-C', out, '--fetch-retries', '3', ...keyArgs()], { env: env() });
      expect(r.status).toBe(0);
      expect(sha(readFileSync(join(out, NAME)))).toBe(sha(xz));
      const image = dropping.requests.filter((q) => q.path === `/${NAME}`);
      expect(image.map((q) => q.range)).toEqual([undefined, `bytes=${third}-`, `bytes=${2 * third}-`]);
      expect(r.stderr).toContain(`Error fetching '${url}': connection to 127.0.0.1:`);
      expect(r.stderr).toContain('Sleeping 1s and retrying...\n');
      expect(r.stderr).toContain('Sleeping 2s and retrying...\n');
    } finally {
      await dropping.close();
    }
  });

  it('a server that ignores Range: the retry starts over and the bytes still verify', async () => {
    const dropping = await serveDir(srv, { ignoreRange: true, dropAfterBytes: xz.length >> 1, dropCount: 1, dropPathSuffix: '.raw.xz' });
    try {
      const out = outDir();
      const r = await runCli(['download', '-u', `${dropping.url}${NAME}`, '-C', out, '--fetch-retries', '1', ...keyArgs()], { env: env() });
      expect(r.status).toBe(0);
      expect(sha(readFileSync(join(out, NAME)))).toBe(sha(xz));
      expect(dropping.requests.filter((q) => q.path === `/${NAME}`)).toHaveLength(2);
    } finally {
      await dropping.close();
    }
  });

  it('without retries a dropped connection fails (in the first MiB here) and leaves nothing', async () => {
    const dropping = await serveDir(srv, { dropAfterBytes: 100_000, dropCount: 1, dropPathSuffix: '.raw.xz' });
    try {
      const out = outDir();
      const url = `${dropping.url}${NAME}`;
      const r = await runCli(['download', '-u', url, '-C', out, ...keyArgs()], { env: env() });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(
          `Error: decoding first MiB of image\\n\\nCaused by:\\n    0: fetching '${url.replace(/\./g, '\\.')}'\\n    1: connection to .* was closed before the response was complete\\n$`,
        ),
      );
      expect(readdirSync(out)).toEqual([]);
    } finally {
      await dropping.close();
    }
  });

  it.each([
    ['a tampered image', 'tampered.raw.xz', 'Error: GPG verification failure\n\nCaused by:\n    Signed digest did not match\n'],
    [
      'a signature by a key not trusted',
      'untrusted.raw.xz',
      /^Error: GPG verification failure\n\nCaused by:\n    Could not find signing key with key ID [0-9a-f]{16}\n$/,
    ],
    ['a missing signature without --insecure', 'unsigned.raw.xz', 'Error: --insecure not specified and signature not found\n'],
  ])('%s fails with one clear error and leaves no file', async (_what, file, error) => {
    const out = outDir();
    const r = await runCli(['download', '-u', `${server.url}${file}`, '-C', out, ...keyArgs()], { env: env() });
    expect(r.status).toBe(1);
    expect(r.out).toBe('');
    const report = r.stderr.slice(r.stderr.indexOf('Error: '));
    if (typeof error === 'string') expect(report).toBe(error);
    else expect(report).toMatch(error);
    expect(readdirSync(out)).toEqual([]);
  });

  it('--insecure allows a missing signature, never a bad one', async () => {
    const out = outDir();
    const ok = await runCli(['download', '--insecure', '-u', `${server.url}unsigned.raw.xz`, '-C', out], { env: env() });
    expect(ok.status).toBe(0);
    expect(ok.stderr).toContain('Signature not found; skipping verification as requested\n');
    expect(readdirSync(out)).toEqual(['unsigned.raw.xz']);
    const bad = await runCli(['download', '--insecure', '-u', `${server.url}tampered.raw.xz`, '-C', out, ...keyArgs()], { env: env() });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('Error: GPG verification failure');
    expect(readdirSync(out)).toEqual(['unsigned.raw.xz']);
  });

  it('a sha256 mismatch from the stream fails like a bad signature (E3)', async () => {
    const out = outDir();
    const r = await runCli(['download', '-s', 'badsha', '-C', out, '--stream-base-url', server.url, '-a', 'x86_64', ...keyArgs()], {
      env: env(),
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      `Error: sha256 verification failure\n\nCaused by:\n    hash mismatch, computed '${sha(xz)}' but expected '${sha(Buffer.from('x'))}'\n`,
    );
    expect(readdirSync(out)).toEqual([]);
  });

  it('a 404 is a clear error', async () => {
    const out = outDir();
    const url = `${server.url}missing.raw.xz`;
    const r = await runCli(['download', '-u', url, '-C', out, '--fetch-retries', '2'], { env: env() });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      `Downloading image from ${url}\nDownloading signature from ${url}.sig\n` +
        'Failed to fetch signature: fetching signature URL\n' +
        `Error: fetching image URL\n\nCaused by:\n    0: fetching '${url}'\n    1: HTTP status client error (404 Not Found) for url (${url})\n`,
    );
    expect(readdirSync(out)).toEqual([]);
  });

  it('an unknown format in the stream is a clear error', async () => {
    const r = await runCli(['download', '--stream-base-url', server.url, '-a', 'x86_64', '-f', 'iso'], { env: env() });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("Error: couldn't find architecture x86_64, platform metal, format iso in stream metadata\n");
  });

  it('bad option values are usage errors', async () => {
    const r = await runCli(['download', '--fetch-retries', 'lots']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("error: invalid value 'lots' for '--fetch-retries <N>': invalid digit found in string");
  });
});

function fmt(n: number): string {
  // Same rule as SPEC 2.11, for the sizes used here (MiB range).
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1 << 20)).toFixed(1)} MiB`;
}

describe.skipIf(skip)('download, interrupted', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s during the transfer exits %i and leaves no temporary file', async (signal, code) => {
    const stalling = await serveDir(srv, { stallAfterBytes: 1_200_000 });
    try {
      const out = outDir();
      const { spawn } = await import('node:child_process');
      const { cliCommand } = await import('../helpers/cli.js');
      const cmd = cliCommand(['download', '-u', `${stalling.url}${NAME}`, '-C', out, ...keyArgs()]);
      const child = spawn(cmd.file, cmd.args, {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      // Wait until the temporary file exists and holds data past the first MiB.
      for (let i = 0; i < 200; i++) {
        const files = readdirSync(out);
        if (files.length === 1 && statSync(join(out, files[0] ?? '')).size > 0) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(readdirSync(out)[0]).toMatch(/^\.nestos-installer-temp-/);
      child.kill(signal);
      const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(status).toBe(code);
      expect(stderr).toContain('Error: interrupted\n');
      expect(readdirSync(out)).toEqual([]);
    } finally {
      await stalling.close();
    }
  });
});

describe.skipIf(skip)('download, a server that stalls mid-body', () => {
  it('times out, retries and resumes with Range; the image is whole and verified', async () => {
    const stalling = await serveDir(srv, { stallAfterBytes: 1_200_000, stallCount: 1 });
    try {
      const out = outDir();
      const r = await runCli(['download', '-u', `${stalling.url}${NAME}`, '-C', out, '--fetch-retries', '2', ...keyArgs()], {
        env: { ...env(), NESTOS_INSTALLER_SOCKET_TIMEOUT_MS: '1500' },
      });
      expect(r.stderr).toContain(`Error fetching '${stalling.url}${NAME}': timed out talking to`);
      expect(r.stderr).toContain('retrying...');
      expect(r.stderr).not.toMatch(/^Error: /m);
      expect(r.status).toBe(0);
      expect(sha(readFileSync(join(out, NAME)))).toBe(sha(xz));
      const image = stalling.requests.filter((q) => q.path.endsWith(NAME));
      expect(image.length).toBe(2);
      expect(image[1]?.range).toBe('bytes=1200000-');
    } finally {
      await stalling.close();
    }
  });
});

describe.skipIf(skip || needs({ root: true, tools: ['mount', 'umount'] }))('download, disk full', () => {
  it('-C on a full file system: a clear error and no partial file', async () => {
    const full = join(dir, 'full');
    mkdirSync(full);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', full]);
    try {
      const r = await runCli(['download', '-u', `${server.url}${NAME}`, '-C', full, ...keyArgs()], { env: env() });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('No space left on device (os error 28)');
      expect(readdirSync(full)).toEqual([]);
    } finally {
      execFileSync('umount', [full]);
    }
  });
});
