// install through the built CLI: parsing, config files, refusals before any
// write, and (E8) installs into disk-image files, which need no root
// unless the boot partition is edited. Ctrl-C after the first write.

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { bufferReader, readGpt } from '../../src/blockdev/gpt.js';
import { CLI, cliCommand, runCli } from '../helpers/cli.js';
import { needs } from '../helpers/env.js';
import { serveDir } from '../helpers/http-server.js';
import { copyInto, fixture, tmpDir } from '../helpers/tmp.js';

const dir = tmpDir();
const SAMPLE = fixture('metal', 'sample-metal.raw.xz');
const KEY = fixture('metal', 'sample-signing-key.pub.asc');
const file = (name: string, text: string | Buffer): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const disk = (name: string, mib = 48): string => file(name, Buffer.alloc(mib << 20));
const lastLine = (s: string): string => s.trimEnd().split('\n').at(-1) ?? '';

describe('install: arguments and config files', () => {
  it('merges config files as SPEC 3.1 (worked example) and prints the arguments on stdout', async () => {
    const f2 = file('f2.yaml', 'append-karg: [c, d]\nfetch-retries: 2\ndest-device: /dev/missing\n');
    const f1 = file('f1.yaml', 'append-karg: [a, b]\nfetch-retries: 1\n');
    const res = await runCli([
      'install',
      '--append-karg',
      'e',
      '--fetch-retries',
      '0',
      '-c',
      f2,
      '-c',
      f1,
      '--append-karg',
      'f',
      '--fetch-retries',
      '3',
    ]);
    expect(res.out).toBe(
      'Running with arguments: --append-karg c --append-karg d --fetch-retries 2 /dev/missing --append-karg a --append-karg b --fetch-retries 1 --append-karg e --append-karg f --fetch-retries 3\n',
    );
    expect(res.stderr).toBe(
      'Error: checking whether /dev/missing is an IBM DASD disk\n\nCaused by:\n    0: getting absolute path to /dev/missing\n    1: No such file or directory (os error 2)\n',
    );
    expect(res.status).toBe(1);
  });

  it('needs a destination after expansion, and only one', async () => {
    const f1 = file('nodev.yaml', 'append-karg: [a]\n');
    const none = await runCli(['install', '-c', f1]);
    expect(none.stderr).toBe('Error: destination device must be specified\n');
    const two = await runCli(['install', '-c', file('dev.yaml', 'dest-device: /dev/a\n'), '/dev/b']);
    expect(two.out).toBe('Running with arguments: /dev/a /dev/b\n');
    expect(two.stderr).toBe("Error: reprocessing command-line arguments\n\nCaused by:\n    unexpected argument '/dev/b' found\n");
    const missing = await runCli(['install']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('the following required arguments were not provided:\n  <DEST_DEVICE>');
  });

  it('lets the last occurrence of a single-valued option win', async () => {
    const res = await runCli(['install', '--platform', 'a', '--platform', 'b', '-c', file('p.yaml', 'platform: x\n')]);
    expect(res.out).toBe('Running with arguments: --platform x --platform b\n');
  });

  it('rejects bad values as usage errors', async () => {
    const res = await runCli(['install', '--console', 'ttyS0,115200p8', '/dev/x']);
    expect(res.status).toBe(2);
    expect(res.stderr).toContain("error: invalid value 'ttyS0,115200p8' for '--console <spec>': invalid or unsupported console argument");
    const hash = await runCli(['install', '--ignition-hash', 'sha512-00', '/dev/x']);
    expect(hash.stderr).toContain("error: invalid value 'sha512-00' for '--ignition-hash <digest>': wrong digest length (8)");
    const conflict = await runCli(['install', '-i', 'a', '-I', 'https://x/', '/dev/x']);
    expect(conflict.stderr).toContain("error: the argument '--ignition-file <path>' cannot be used with '--ignition-url <URL>'");
  });
});

describe('install: refusals before writing', () => {
  it('never creates a missing destination (E8)', async () => {
    const target = join(dir, 'typo-sdx');
    const res = await runCli(['install', '-f', SAMPLE, '--signing-key', KEY, target]);
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(`getting absolute path to ${target}`);
    expect(existsSync(target)).toBe(false);
  });

  it('refuses character devices', async () => {
    const res = await runCli(['install', '-f', SAMPLE, '/dev/null']);
    expect(res.stderr).toBe('Error: getting sector size of /dev/null\n\nCaused by:\n    "/dev/null" is not a block device\n');
  });

  it('checks the Ignition source first', async () => {
    const target = disk('ign.img', 1);
    const http = await runCli(['install', '-I', 'http://127.0.0.1:9/x.ign', target]);
    expect(http.stderr).toBe('Error: refusing to fetch Ignition config over HTTP without --ignition-hash or --insecure-ignition\n');
    const ftp = await runCli(['install', '-I', 'ftp://h/x.ign', target]);
    expect(ftp.stderr).toBe("Error: unknown protocol for URL 'ftp://h/x.ign'\n");
    const bad = await runCli(['install', '-i', file('bad.ign', '{"ignition": '), target]);
    expect(bad.stderr).toMatch(/^Error: parsing specified Ignition config\n\nCaused by:\n {4}\S/);
    const absent = await runCli(['install', '-i', join(dir, 'absent.ign'), target]);
    expect(absent.stderr).toContain(`Error: opening source Ignition config ${join(dir, 'absent.ign')}`);
  });

  it('refuses an unsigned image without --insecure and a bad partition filter', async () => {
    const unsigned = copyInto(dir, SAMPLE, 'unsigned.raw.xz');
    const target = disk('unsigned.img', 1);
    const res = await runCli(['install', '-f', unsigned, target]);
    expect(res.stderr).toContain(`Couldn't read signature file: No such file or directory (os error 2)\n`);
    expect(lastLine(res.stderr)).toBe('Error: --insecure not specified and signature not found');
    expect(readFileSync(target).every((b) => b === 0)).toBe(true);
    const filter = await runCli(['install', '-f', SAMPLE, '--save-partindex', '-3,0', target]);
    expect(filter.stderr).toBe('Error: partition index cannot be zero\n');
  });

  it('refuses a disk-image file with the other sector size', async () => {
    const img = file('gpt-4096.raw', Buffer.alloc(0));
    const data = (await import('node:child_process')).execFileSync('xz', ['-dc', fixture('disk', 'gpt-4096.xz')], { maxBuffer: 64 << 20 });
    writeFileSync(img, data);
    const target = disk('4k-target.img', 16);
    const res = await runCli(['install', '--insecure', '-f', img, target]);
    expect(res.stderr).toContain('source has sector size 4096 but destination has sector size 512');
    expect(res.stderr).toContain(`Nothing was written to ${target}`);
    expect(readFileSync(target).every((b) => b === 0)).toBe(true);
  });
});

/**
 * Start `install args` (its target the last argument), send Ctrl-C once
 * `ready()` holds (or after 10 s) and `settle` ms more, and check that it
 * failed with 130 and left an empty partition table. Returns whether
 * `ready()` held when Ctrl-C was sent.
 */
async function expectCtrlCResets(args: string[], ready: () => boolean, settle: number): Promise<boolean> {
  const target = args.at(-1) as string;
  const cmd = cliCommand(['install', ...args]);
  const child = spawn(cmd.file, cmd.args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('close', resolve));
  for (let i = 0; i < 200 && !ready(); i++) await sleep(50);
  await sleep(settle);
  const wasReady = ready();
  child.kill('SIGINT');
  expect(await exit).toBe(130);
  expect(stderr).toContain('Resetting partition table');
  expect(lastLine(stderr)).toBe('Error: install failed');
  expect((await readGpt(bufferReader(readFileSync(target))))?.entries).toEqual([]);
  return wasReady;
}

describe('install into a disk-image file (E8, no post-processing)', () => {
  it('writes the verified image', async () => {
    const target = disk('plain.img');
    const res = await runCli(['install', '-f', SAMPLE, '--signing-key', KEY, target]);
    expect(res.stderr).toContain('Good signature from "NestOS sample image <sample@example.invalid>"');
    expect(lastLine(res.stderr)).toBe('Install complete.');
    const raw = (await import('node:child_process')).execFileSync('xz', ['-dc', SAMPLE], { maxBuffer: 64 << 20 });
    const written = readFileSync(target);
    expect(written.length).toBe(48 << 20);
    expect(written.subarray(0, raw.length).equals(raw)).toBe(true);
  });

  it('wipes the table when the signature is not trusted', async () => {
    const target = disk('untrusted.img');
    const res = await runCli(['install', '-f', SAMPLE, target]);
    expect(res.status).toBe(1);
    expect(lastLine(res.stderr)).toBe('Error: install failed');
    expect(res.stderr).toMatch(/^\nError: /m);
    const gpt = await readGpt(bufferReader(readFileSync(target)));
    if (res.stderr.includes('Resetting partition table')) expect(gpt?.entries).toEqual([]);
    else expect(readFileSync(target).every((b) => b === 0)).toBe(true);
  });

  it('treats Ctrl-C as a failure: resets the table and exits 130', async () => {
    const served = tmpDir();
    copyInto(served, SAMPLE, 'img.raw.xz');
    copyInto(served, `${SAMPLE}.sig`, 'img.raw.xz.sig');
    const server = await serveDir(served, { stallAfterBytes: 4096 });
    const target = disk('interrupted.img');
    try {
      const hasTable = (): boolean => readFileSync(target).subarray(512, 520).toString('latin1') === 'EFI PART';
      await expectCtrlCResets(['-u', `${server.url}img.raw.xz`, '--signing-key', KEY, target], hasTable, 200);
    } finally {
      await server.close();
    }
  });

  it.skipIf(needs({ tools: ['xz', 'zstd'] }))(
    'Ctrl-C while a zstd image decodes on its worker thread: exits 130 and resets the table',
    async () => {
      const { execFileSync } = await import('node:child_process');
      // The sample image with 12 MiB of random bytes at 20 MiB: a .zst above 8 MiB, decoded on a worker.
      const raw = execFileSync('xz', ['-dc', SAMPLE], { maxBuffer: 64 << 20 });
      randomBytes(12 << 20).copy(raw, 20 << 20);
      const served = tmpDir();
      writeFileSync(join(served, 'img.raw.zst'), execFileSync('zstd', ['-q', '-1', '-c'], { input: raw, maxBuffer: 64 << 20 }));
      const server = await serveDir(served, { stallAfterBytes: 9 << 20 });
      const target = disk('interrupted-zstd.img');
      try {
        const random = (): boolean =>
          readFileSync(target)
            .subarray(20 << 20, (20 << 20) + 4096)
            .some((b) => b !== 0);
        // Ctrl-C came while the image body was being written.
        expect(await expectCtrlCResets(['-u', `${server.url}img.raw.zst`, '--insecure', target], random, 0)).toBe(true);
      } finally {
        await server.close();
      }
    },
  );
});

describe('install under Node flags that worker threads refuse', () => {
  // `node --max-old-space-size=… nestos-installer install`: the codec workers
  // (parallel xz, zstd) start without the flags instead of failing the install.
  it.skipIf(needs({ tools: ['xz', 'zstd'] }))('multi-block xz and zstd images install byte for byte', async () => {
    const { execFileSync } = await import('node:child_process');
    const raw = file('flags.raw', randomBytes(12 << 20));
    execFileSync('xz', ['-T2', '--block-size=2MiB', '-0', '-k', '-f', raw]);
    execFileSync('zstd', ['-q', '-1', '-f', raw]);
    for (const image of [`${raw}.xz`, `${raw}.zst`]) {
      const target = disk(`flags-${image.slice(-3)}.img`, 16);
      const res = spawnSync(
        process.execPath,
        ['--max-old-space-size=512', '--max-semi-space-size=4', CLI, 'install', '-f', image, '--insecure', target],
        {
          encoding: 'utf8',
        },
      );
      expect(lastLine(res.stderr)).toBe('Install complete.');
      expect(res.status).toBe(0);
      expect(
        readFileSync(target)
          .subarray(0, 12 << 20)
          .equals(readFileSync(raw)),
      ).toBe(true);
    }
  });
});

describe('install refused while its decoder threads start', () => {
  // The threads that decode a .xz or .zst image start once the keyring is
  // loaded (prestartDecoders); this refusal comes before they have loaded
  // their codecs, and the process waits for them: a thread ended while it
  // loads liblzma or zstd aborts the whole process (FATAL ERROR ...
  // napi_throw). test/io/worker-script.test.ts checks the wait itself.
  it('exits with the refusal, never an abort', async () => {
    const target = disk('refused.img');
    for (let i = 0; i < 6; i++) {
      for (const name of ['missing.raw.xz', 'missing.raw.zst']) {
        const image = join(dir, name);
        const res = await runCli(['install', '-f', image, target]);
        expect(res.stderr).toBe(
          `Copying image from ${image}\nReading signature from ${image}.sig\nError: opening source image file\n\nCaused by:\n    No such file or directory (os error 2)\n`,
        );
        expect(res.status).toBe(1);
      }
    }
  });
});

describe('install from a stream (SPEC 3.3)', () => {
  it('picks metal raw.xz for 512-byte sectors and checks the sha256 values (E3)', async () => {
    const { createHash } = await import('node:crypto');
    const { execFileSync } = await import('node:child_process');
    const { machine } = await import('node:os');
    const served = tmpDir();
    copyInto(served, SAMPLE, 'metal.raw.xz');
    copyInto(served, `${SAMPLE}.sig`, 'metal.raw.xz.sig');
    const server = await serveDir(served);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const artifact = (sha256: string) => ({
      disk: {
        location: `${server.url}metal.raw.xz`,
        signature: `${server.url}metal.raw.xz.sig`,
        sha256,
        'uncompressed-sha256': sha(execFileSync('xz', ['-dc', SAMPLE], { maxBuffer: 64 << 20 })),
      },
    });
    const stream = (sha256: string) =>
      JSON.stringify({
        stream: 'stable',
        metadata: { 'last-modified': '2026-01-01T00:00:00Z' },
        architectures: {
          [machine()]: { artifacts: { metal: { release: '1', formats: { 'raw.xz': artifact(sha256), '4k.raw.xz': artifact('00') } } } },
        },
      });
    writeFileSync(join(served, 'stable.json'), stream(sha(readFileSync(SAMPLE))));
    writeFileSync(join(served, 'bad.json'), stream('0'.repeat(64)));
    try {
      const target = disk('stream.img');
      const res = await runCli(['install', '--stream-base-url', server.url, '--signing-key', KEY, target]);
      expect(res.stderr).toContain(
        `Downloading ${machine()} metal image (raw.xz) and signature referenced from ${server.url}stable.json\n`,
      );
      expect(lastLine(res.stderr)).toBe('Install complete.');
      const bad = disk('stream-bad.img');
      const refused = await runCli(['install', '-s', 'bad', '--stream-base-url', server.url, '--signing-key', KEY, bad]);
      expect(refused.status).toBe(1);
      expect(lastLine(refused.stderr)).toBe('Error: install failed');
      expect(refused.stderr).toMatch(/sha256/);
      const left = await readGpt(bufferReader(readFileSync(bad)));
      expect(left === undefined || left.entries.length === 0).toBe(true);
    } finally {
      await server.close();
    }
  });
});
