import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { openResumableGet } from '../../src/source/http-stream.js';
import { applySignaturePolicy } from '../../src/source/location.js';
import { UrlLocation, defaultSignatureUrl } from '../../src/source/url-location.js';
import { errorChain } from '../../src/util/errors.js';
import { serveDir, type ServeOptions } from '../helpers/http-server.js';
import { tmpDir } from '../helpers/tmp.js';
import { stderrCapture } from '../helpers/stderr.js';

const dir = tmpDir();
const SIZE = 3 * 1024 * 1024 + 12345;
const data = randomBytes(SIZE);
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const { lines: stderr, capture: captureStderr } = stderrCapture();

beforeAll(() => {
  writeFileSync(join(dir, 'image.raw'), data);
  writeFileSync(join(dir, 'image.raw.sig'), 'SIG');
  writeFileSync(join(dir, 'nosig.raw'), 'tiny');
  process.env['NESTOS_INSTALLER_RETRY_DELAY_MS'] = '1';
});
async function readAll(stream: Readable): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of stream) out.push(c as Buffer);
  return Buffer.concat(out);
}

async function withServer<T>(
  opts: ServeOptions,
  fn: (url: string, requests: { path: string; range?: string; ifRange?: string }[]) => Promise<T>,
): Promise<T> {
  const server = await serveDir(dir, opts);
  try {
    return await fn(server.url, server.requests);
  } finally {
    await server.close();
  }
}

describe('resumable GET (E6)', () => {
  it('resumes with Range + If-Range after each dropped connection; every byte once', async () => {
    captureStderr();
    await withServer({ dropAfterBytes: 1_000_000, dropCount: 2 }, async (base, requests) => {
      const res = await openResumableGet(new URL(`${base}image.raw`), 3);
      expect(res.length).toBe(SIZE);
      const body = await readAll(res.body);
      expect(body.length).toBe(SIZE);
      expect(sha(body)).toBe(sha(data));
      expect(requests).toHaveLength(3);
      expect(requests[0]?.range).toBeUndefined();
      expect(requests[1]?.range).toMatch(/^bytes=\d+-$/);
      expect(requests[1]?.ifRange).toBe(`"${SIZE.toString(16)}"`);
      expect(requests[2]?.range).toMatch(/^bytes=\d+-$/);
      const url = `${base}image.raw`;
      expect(stderr.join('')).toMatch(
        new RegExp(
          `^Error fetching '${url}': .+\\nSleeping 1s and retrying\\.\\.\\.\\nError fetching '${url}': .+\\nSleeping 2s and retrying\\.\\.\\.\\n$`,
        ),
      );
    });
  });

  it.each([
    ['ignores Range and does not advertise it', { ignoreRange: true }, false],
    ['advertises Range but answers 200', { ignoreRange: true, advertiseRanges: true }, true],
  ])('starts over when the server %s, skipping what was delivered', async (_name, opts, sendsRange) => {
    captureStderr();
    await withServer({ ...opts, dropAfterBytes: 1_500_000, dropCount: 1 }, async (base, requests) => {
      const res = await openResumableGet(new URL(`${base}image.raw`), 1);
      const body = await readAll(res.body);
      expect(sha(body)).toBe(sha(data));
      expect(requests).toHaveLength(2);
      expect(requests[1]?.range !== undefined).toBe(sendsRange);
    });
  });

  it('fails with the last error when the retries run out', async () => {
    captureStderr();
    await withServer({ dropAfterBytes: 100_000, dropCount: 5 }, async (base) => {
      const res = await openResumableGet(new URL(`${base}image.raw`), 1);
      const err = await readAll(res.body).catch((e: unknown) => e);
      const chain = errorChain(err);
      expect(chain[0]).toBe(`fetching '${base}image.raw'`);
      expect(chain).toHaveLength(2);
      expect(stderr.filter((l) => l.startsWith('Sleeping'))).toEqual(['Sleeping 1s and retrying...\n']);
    });
  });

  it('retries 503 before the body and then succeeds', async () => {
    captureStderr();
    await withServer({ failFirst: { path: '/image.raw', status: 503, count: 2 } }, async (base) => {
      const res = await openResumableGet(new URL(`${base}image.raw`), 'infinite');
      expect(sha(await readAll(res.body))).toBe(sha(data));
      expect(stderr.join('')).toContain(`Error fetching '${base}image.raw': HTTP 503 Service Unavailable\nSleeping 1s`);
    });
  });
});

describe('UrlLocation (SPEC 2.5)', () => {
  it('derives the signature URL from the path, keeping the query', () => {
    expect(defaultSignatureUrl(new URL('https://h/a.xz?x=1')).href).toBe('https://h/a.xz.sig?x=1');
    const loc = new UrlLocation(new URL('https://h/dir/a.xz?x=1'), { retries: 0 });
    expect(loc.describe()).toBe('Downloading image from https://h/dir/a.xz?x=1\nDownloading signature from https://h/dir/a.xz.sig?x=1');
  });

  it('fetches signature then image: name, length, type, stream', async () => {
    await withServer({}, async (base) => {
      const [source, ...rest] = await new UrlLocation(new URL(`${base}image.raw`), { retries: 0 }).sources();
      expect(rest).toEqual([]);
      expect(source?.filename).toBe('image.raw');
      expect(source?.lengthHint).toBe(SIZE);
      expect(source?.artifactType).toBe('disk');
      expect(source?.signature?.toString()).toBe('SIG');
      expect(sha(await readAll(source?.stream as Readable))).toBe(sha(data));
    });
  });

  it('a missing signature is reported and left to the policy (SPEC 2.6)', async () => {
    captureStderr();
    await withServer({}, async (base) => {
      const [source] = await new UrlLocation(new URL(`${base}nosig.raw`), { retries: 2 }).sources();
      if (!source) throw new Error('no source');
      source.stream.destroy();
      expect(stderr.join('')).toBe('Failed to fetch signature: fetching signature URL\n');
      expect(() => applySignaturePolicy(source, false)).toThrow('--insecure not specified and signature not found');
      stderr.length = 0;
      applySignaturePolicy(source, true);
      expect(stderr.join('')).toBe('Signature not found; skipping verification as requested\n');
    });
  });

  it('a 404 image is a clear error', async () => {
    captureStderr();
    await withServer({}, async (base) => {
      const err = await new UrlLocation(new URL(`${base}missing.raw`), { retries: 3 }).sources().catch((e: unknown) => e);
      expect(errorChain(err)).toEqual([
        'fetching image URL',
        `fetching '${base}missing.raw'`,
        `HTTP status client error (404 Not Found) for url (${base}missing.raw)`,
      ]);
    });
  });

  it('a refused connection is retried, then reported', async () => {
    captureStderr();
    const server = await serveDir(dir);
    const base = server.url;
    await server.close();
    const err = await new UrlLocation(new URL(`${base}image.raw`), { retries: 1 }).sources().catch((e: unknown) => e);
    expect(errorChain(err)).toEqual(['fetching image URL', `fetching '${base}image.raw'`, `connection refused by ${new URL(base).host}`]);
    expect(stderr.filter((l) => l.startsWith('Sleeping'))).toHaveLength(2); // signature, image
  });

  it('file:// URLs are read from disk (E7)', async () => {
    const [source] = await new UrlLocation(pathToFileURL(join(dir, 'image.raw')), { retries: 0 }).sources();
    expect(source?.lengthHint).toBe(SIZE);
    expect(source?.signature?.toString()).toBe('SIG');
    expect(sha(await readAll(source?.stream as Readable))).toBe(sha(data));
  });
});
