import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FileLocation } from '../../src/source/file-location.js';
import { StreamLocation } from '../../src/source/stream-location.js';
import { errorChain } from '../../src/util/errors.js';
import { COREOS, setInvokedFamilyForTests } from '../../src/util/family.js';
import { serveDir, type ServedDir } from '../helpers/http-server.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir();
let server: ServedDir;

function artifact(base: string, name: string, extra: Record<string, string> = {}) {
  return { location: `${base}${name}`, signature: `${base}${name}.sig`, ...extra };
}

function streamDoc(base: string): string {
  return JSON.stringify({
    stream: 'stable',
    architectures: {
      x86_64: {
        artifacts: {
          metal: {
            formats: {
              'raw.xz': { disk: artifact(base, 'disk.raw.xz', { sha256: 'aa', 'uncompressed-sha256': 'bb' }) },
              pxe: {
                rootfs: artifact(base, 'rootfs.img'),
                kernel: artifact(base, 'kernel'),
                initramfs: artifact(base, 'initramfs.img'),
              },
            },
          },
        },
      },
    },
  });
}

async function readAll(stream: Readable): Promise<string> {
  const out: Buffer[] = [];
  for await (const c of stream) out.push(c as Buffer);
  return Buffer.concat(out).toString();
}

beforeAll(async () => {
  for (const name of ['disk.raw.xz', 'rootfs.img', 'kernel', 'initramfs.img']) {
    writeFileSync(join(dir, name), `data of ${name}`);
    writeFileSync(join(dir, `${name}.sig`), `sig of ${name}`);
  }
  server = await serveDir(dir);
  writeFileSync(join(dir, 'stable.json'), streamDoc(server.url));
  const offline = join(dir, 'offline');
  mkdirSync(offline);
  writeFileSync(join(offline, 'stable.json'), streamDoc(pathToFileURL(dir).href + '/'));
});
afterAll(() => server.close());

const opts = { stream: 'stable', architecture: 'x86_64', platform: 'metal', format: 'raw.xz', retries: 0 as const };

describe('StreamLocation (SPEC 2.5)', () => {
  it('banners: default base and given base', () => {
    expect(new StreamLocation(opts).describe()).toBe('Downloading NestOS stable x86_64 metal image (raw.xz) and signature');
    expect(new StreamLocation({ ...opts, baseUrl: server.url }).describe()).toBe(
      `Downloading x86_64 metal image (raw.xz) and signature referenced from ${server.url}stable.json`,
    );
    setInvokedFamilyForTests(COREOS);
    try {
      expect(new StreamLocation(opts).describe()).toBe('Downloading Fedora CoreOS stable x86_64 metal image (raw.xz) and signature');
    } finally {
      setInvokedFamilyForTests(undefined);
    }
  });

  it('a disk artifact with its signature URL and sha256 values (E3)', async () => {
    const [source, ...rest] = await new StreamLocation({ ...opts, baseUrl: server.url }).sources();
    expect(rest).toHaveLength(0);
    expect(source).toMatchObject({ filename: 'disk.raw.xz', artifactType: 'disk', sha256: 'aa', uncompressedSha256: 'bb', lengthHint: 19 });
    expect(source?.signature?.toString()).toBe('sig of disk.raw.xz');
    expect(await readAll(source?.stream as Readable)).toBe('data of disk.raw.xz');
  });

  it('several artifacts come sorted by type name', async () => {
    const sources = await new StreamLocation({ ...opts, format: 'pxe', baseUrl: server.url }).sources();
    expect(sources.map((s) => [s.artifactType, s.filename])).toEqual([
      ['initramfs', 'initramfs.img'],
      ['kernel', 'kernel'],
      ['rootfs', 'rootfs.img'],
    ]);
    for (const s of sources) s.stream.destroy();
  });

  it('a directory base with file:// artifacts works offline (E7)', async () => {
    const loc = new StreamLocation({ ...opts, baseUrl: join(dir, 'offline') });
    expect(loc.describe()).toBe(
      `Downloading x86_64 metal image (raw.xz) and signature referenced from ${pathToFileURL(join(dir, 'offline')).href}/stable.json`,
    );
    const [source] = await loc.sources();
    expect(await readAll(source?.stream as Readable)).toBe('data of disk.raw.xz');
  });

  it('an unknown architecture, platform or format is an error', async () => {
    for (const bad of [{ architecture: 's390x' }, { platform: 'aws' }, { format: 'iso' }]) {
      const o = { ...opts, ...bad, baseUrl: server.url };
      const err = await new StreamLocation(o).sources().catch((e: unknown) => e);
      expect(errorChain(err)).toEqual([
        `couldn't find architecture ${o.architecture}, platform ${o.platform}, format ${o.format} in stream metadata`,
      ]);
    }
  });

  it('a missing stream is a clear error', async () => {
    const err = await new StreamLocation({ ...opts, stream: 'nope', baseUrl: server.url }).sources().catch((e: unknown) => e);
    expect(errorChain(err)[0]).toBe('fetching stream metadata');
  });
});

describe('FileLocation (SPEC 2.5)', () => {
  it('reads the file and P.sig', async () => {
    const path = join(dir, 'kernel');
    const loc = new FileLocation(path);
    expect(loc.describe()).toBe(`Copying image from ${path}\nReading signature from ${path}.sig`);
    const [source] = await loc.sources();
    expect(source).toMatchObject({ filename: 'kernel', artifactType: 'disk', lengthHint: 14 });
    expect(source?.signature?.toString()).toBe('sig of kernel');
    expect(await readAll(source?.stream as Readable)).toBe('data of kernel');
  });

  it('a missing signature file is reported, not fatal', async () => {
    const path = join(dir, 'stable.json');
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const [source] = await new FileLocation(path).sources();
    expect(spy.mock.calls.map((c) => String(c[0]))).toEqual(["Couldn't read signature file: No such file or directory (os error 2)\n"]);
    spy.mockRestore();
    expect(source?.signature).toBeUndefined();
    source?.stream.destroy();
  });

  it('a missing image is an error', async () => {
    const err = await new FileLocation(join(dir, 'none')).sources().catch((e: unknown) => e);
    expect(errorChain(err)).toEqual(['opening source image file', 'No such file or directory (os error 2)']);
  });
});
