import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AS_COREOS, runCli } from '../helpers/cli.js';
import { needs } from '../helpers/env.js';
import { serveDir, type ServedDir } from '../helpers/http-server.js';
import { ROOT, tmpDir } from '../helpers/tmp.js';

const dir = tmpDir();
let server: ServedDir;

// A document the code has never seen: made-up architectures, platforms and
// formats, inserted out of order, with extra fields everywhere.
const unseen = {
  stream: 'lab',
  extra: { ignored: true },
  architectures: {
    zz80: {
      artifacts: { 'long-platform-name': { release: '9', formats: { b: {}, a: { disk: { location: 'u', signature: 's', size: 3 } } } } },
    },
    riscv64: {
      images: { whatever: 1 },
      artifacts: {
        metal: { formats: { 'raw.xz': {}, iso: {}, '4k.raw.xz': {} } },
        aws: { formats: { 'vmdk.xz': {} } },
      },
    },
    a: { artifacts: { p: { formats: { 'x.y.z': {} } } } },
  },
};
const expected =
  'Architecture  Platform            Format\n' +
  'a             p                   x.y.z\n' +
  'riscv64       aws                 vmdk.xz\n' +
  'riscv64       metal               4k.raw.xz\n' +
  'riscv64       metal               iso\n' +
  'riscv64       metal               raw.xz\n' +
  'zz80          long-platform-name  a\n' +
  'zz80          long-platform-name  b\n';

beforeAll(async () => {
  mkdirSync(join(dir, 'streams'));
  writeFileSync(join(dir, 'streams', 'lab.json'), JSON.stringify(unseen));
  writeFileSync(join(dir, 'streams', 'broken.json'), JSON.stringify({ architectures: { x: { artifacts: { m: {} } } } }));
  server = await serveDir(dir, { status: { '/streams/down.json': 503 } });
});
afterAll(() => server.close());

describe('list-stream', () => {
  it('lists an unseen document over HTTP on 127.0.0.1, sorted, in the exact format', async () => {
    const r = await runCli(['list-stream', '-s', 'lab', '--stream-base-url', `${server.url}streams/`]);
    expect(r.stderr).toBe('');
    expect(r.out).toBe(expected);
    expect(r.status).toBe(0);
    expect(server.requests.at(-1)?.path).toBe('/streams/lab.json');
  });

  it('reads a directory path and a file:// URL (air-gapped use)', async () => {
    const fromDir = await runCli(['list-stream', '--stream=lab', `--stream-base-url=${join(dir, 'streams')}`]);
    expect(fromDir.out).toBe(expected);
    const fromUrl = await runCli(['list-stream', '-slab', '--stream-base-url', pathToFileURL(join(dir, 'streams')).href + '/']);
    expect(fromUrl.out).toBe(expected);
  });

  it('prints JSON rows with --json', async () => {
    const r = await runCli(['list-stream', '-s', 'lab', '--json', '--stream-base-url', join(dir, 'streams')]);
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.out) as { architecture: string; platform: string; format: string }[];
    expect(rows[0]).toEqual({ architecture: 'a', platform: 'p', format: 'x.y.z' });
    expect(rows).toHaveLength(7);
  });

  it('defaults to the stable stream', async () => {
    const r = await runCli(['list-stream', '--stream-base-url', join(ROOT, 'streams')]);
    expect(r.status).toBe(0);
    expect(r.out.split('\n')[0]).toBe('Architecture  Platform   Format');
    expect(r.out).toContain('x86_64        metal      raw.xz\n');
  });

  it('reports a 404 with the upstream chain and no stack trace', async () => {
    const r = await runCli(['list-stream', '-s', 'missing', '--stream-base-url', server.url]);
    expect(r.status).toBe(1);
    expect(r.out).toBe('');
    expect(r.stderr).toBe(
      'Error: fetching stream metadata\n\nCaused by:\n' +
        `    0: fetching '${server.url}missing.json'\n` +
        `    1: HTTP status client error (404 Not Found) for url (${server.url}missing.json)\n`,
    );
  });

  it('does not retry a 503 (list-stream uses no retries)', async () => {
    const before = server.requests.length;
    const r = await runCli(['list-stream', '-s', 'down', '--stream-base-url', `${server.url}streams/`]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('    1: HTTP 503 Service Unavailable\n');
    expect(server.requests.length - before).toBe(1);
  });

  it('reports a missing file in a directory base', async () => {
    const r = await runCli(['list-stream', '-s', 'nope', '--stream-base-url', join(dir, 'streams')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`reading ${join(dir, 'streams', 'nope.json')}\n`);
    expect(r.stderr).toContain('No such file or directory (os error 2)\n');
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('reports refused connections and unknown hosts in one line each', async () => {
    const refused = await runCli(['list-stream', '--stream-base-url', 'http://127.0.0.1:9/']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('    1: connection refused by 127.0.0.1:9\n');
    const dns = await runCli(['list-stream', '--stream-base-url', 'http://does-not-exist.invalid/']);
    expect(dns.status).toBe(1);
    expect(dns.stderr).toContain("    1: could not resolve host 'does-not-exist.invalid'\n");
  });

  it('names the JSON path of a malformed document', async () => {
    const r = await runCli(['list-stream', '-s', 'broken', '--stream-base-url', `${server.url}streams/`]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('Error: decoding stream metadata\n\nCaused by:\n    missing field `formats` at $.architectures.x.artifacts.m\n');
  });
});

// SPEC E10: with no base URL the invoked name picks the stream server. A network
// namespace without interfaces (unshare -n, root) makes the fetch fail at once.
describe.skipIf(needs({ root: true, tools: ['unshare'] }))('default stream server with no network', () => {
  it('as nestos-installer: nestos.org.cn', async () => {
    const r = await runCli(['list-stream'], { prefix: ['unshare', '-n'] });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("fetching 'https://nestos.org.cn/NestOS-release/streams/stable.json'");
    expect(r.stderr).toMatch(/^Error: fetching stream metadata\n/);
  });

  it('as coreos-installer: the Fedora stream server', async () => {
    const r = await runCli(['list-stream', '-s', 'next'], { prefix: ['unshare', '-n'], ...AS_COREOS });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("fetching 'https://builds.coreos.fedoraproject.org/streams/next.json'");
  });
});
