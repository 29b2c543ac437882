import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGetBuffer, USER_AGENT } from '../../src/source/http.js';
import { errorChain } from '../../src/util/errors.js';
import { serveDir, type ServedDir } from '../helpers/http-server.js';
import { tmpDir } from '../helpers/tmp.js';
import { stderrCapture } from '../helpers/stderr.js';

const dir = tmpDir();
let server: ServedDir;
const { lines: stderr, capture: captureStderr } = stderrCapture();

beforeAll(async () => {
  writeFileSync(join(dir, 'doc.json'), '{"ok":true}');
  writeFileSync(join(dir, 'flaky.json'), 'finally');
  server = await serveDir(dir, { status: { '/gone': 410, '/broken': 501 }, failFirst: { path: '/flaky.json', status: 503, count: 2 } });
  process.env['NESTOS_INSTALLER_RETRY_DELAY_MS'] = '1';
});
afterAll(async () => {
  delete process.env['NESTOS_INSTALLER_RETRY_DELAY_MS'];
  await server.close();
});
describe('httpGetBuffer', () => {
  it('fetches a body', async () => {
    const { body, url } = await httpGetBuffer(new URL(`${server.url}doc.json`), 0);
    expect(body.toString()).toBe('{"ok":true}');
    expect(url.href).toBe(`${server.url}doc.json`);
    expect(USER_AGENT).toMatch(/^nestos-installer\/\d+\.\d+\.\d+/);
  });

  it('retries 503 with upstream messages and doubling delays', async () => {
    captureStderr();
    const { body } = await httpGetBuffer(new URL(`${server.url}flaky.json`), 3);
    expect(body.toString()).toBe('finally');
    const url = `${server.url}flaky.json`;
    expect(stderr.join('')).toBe(
      `Error fetching '${url}': HTTP 503 Service Unavailable\nSleeping 1s and retrying...\n` +
        `Error fetching '${url}': HTTP 503 Service Unavailable\nSleeping 2s and retrying...\n`,
    );
  });

  it('gives up after the retries with the last error', async () => {
    captureStderr();
    const err = await httpGetBuffer(new URL(`${server.url}nope`), 'infinite').catch((e: unknown) => e);
    expect(errorChain(err)).toEqual([
      `fetching '${server.url}nope'`,
      `HTTP status client error (404 Not Found) for url (${server.url}nope)`,
    ]);
    expect(stderr).toEqual([]);
  });

  it('does not retry other 4xx/5xx statuses', async () => {
    const gone = await httpGetBuffer(new URL(`${server.url}gone`), 5).catch((e: unknown) => e);
    expect(errorChain(gone)[1]).toBe(`HTTP status client error (410 Gone) for url (${server.url}gone)`);
    const broken = await httpGetBuffer(new URL(`${server.url}broken`), 5).catch((e: unknown) => e);
    expect(errorChain(broken)[1]).toBe(`HTTP status server error (501 Not Implemented) for url (${server.url}broken)`);
  });

  it('retries refused connections until the attempts run out', async () => {
    captureStderr();
    const err = await httpGetBuffer(new URL('http://127.0.0.1:9/x'), 1).catch((e: unknown) => e);
    expect(errorChain(err)).toEqual(["fetching 'http://127.0.0.1:9/x'", 'connection refused by 127.0.0.1:9']);
    expect(stderr.join('')).toContain("Error fetching 'http://127.0.0.1:9/x': connection refused by 127.0.0.1:9\n");
  });

  it('rejects unknown protocols', async () => {
    const err = await httpGetBuffer(new URL('ftp://h/x'), 0).catch((e: unknown) => e);
    expect(errorChain(err)).toEqual(["unknown protocol for URL 'ftp://h/x'"]);
  });
});
