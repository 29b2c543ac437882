import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildStreamUrl, findArtifacts, formatStreamTable, listFormats, parseStreamMetadata } from '../../src/source/stream-metadata.js';
import { errorChain } from '../../src/util/errors.js';
import { fixture, ROOT } from '../helpers/tmp.js';

const fcos = readFileSync(fixture('streams', 'fcos-stable-2020-12.json'), 'utf8');

describe('parseStreamMetadata', () => {
  it('reads a real Fedora CoreOS document and ignores unknown fields', () => {
    const meta = parseStreamMetadata(fcos);
    expect(meta.stream).toBe('stable');
    const metal = findArtifacts(meta, 'x86_64', 'metal', 'raw.xz');
    expect(metal?.['disk']?.location).toBe(
      'https://builds.coreos.fedoraproject.org/prod/streams/stable/builds/33.20201201.3.0/x86_64/fedora-coreos-33.20201201.3.0-metal.x86_64.raw.xz',
    );
    expect(metal?.['disk']?.sha256).toMatch(/^[0-9a-f]{64}$/);
    const pxe = findArtifacts(meta, 'x86_64', 'metal', 'pxe');
    expect(Object.keys(pxe ?? {}).sort()).toEqual(['initramfs', 'kernel', 'rootfs']);
    expect(findArtifacts(meta, 'x86_64', 'metal', 'nope')).toBeUndefined();
    expect(findArtifacts(meta, 'riscv64', 'metal', 'raw.xz')).toBeUndefined();
    expect(findArtifacts(meta, 'toString', 'metal', 'raw.xz')).toBeUndefined();
  });

  it.each(['stable', 'testing', 'next'])('accepts the bundled %s stream', (name) => {
    const meta = parseStreamMetadata(readFileSync(`${ROOT}/streams/${name}.json`, 'utf8'));
    expect(meta.stream).toBe(name);
    const rows = listFormats(meta);
    expect(rows).toContainEqual(['x86_64', 'metal', 'raw.xz']);
    expect(rows).toContainEqual(['aarch64', 'metal', '4k.raw.xz']);
    expect(rows).toContainEqual(['x86_64', 'openstack', 'qcow2.xz']);
    expect(findArtifacts(meta, 'x86_64', 'metal', 'raw.xz')?.['disk']?.uncompressedSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  const broken: [string, unknown, string][] = [
    ['a missing architectures', { stream: 'x' }, 'missing field `architectures` at $'],
    ['architectures of the wrong type', { architectures: [] }, 'invalid type: array, expected an object at $.architectures'],
    ['a missing artifacts', { architectures: { x86_64: {} } }, 'missing field `artifacts` at $.architectures.x86_64'],
    [
      'a missing formats',
      { architectures: { x86_64: { artifacts: { metal: { release: '1' } } } } },
      'missing field `formats` at $.architectures.x86_64.artifacts.metal',
    ],
    [
      'a missing location',
      { architectures: { x86_64: { artifacts: { metal: { formats: { 'raw.xz': { disk: { signature: 's' } } } } } } } },
      'missing field `location` at $.architectures.x86_64.artifacts.metal.formats["raw.xz"].disk',
    ],
    [
      'a numeric signature',
      { architectures: { x86_64: { artifacts: { metal: { formats: { iso: { disk: { location: 'l', signature: 7 } } } } } } } },
      'invalid type: number, expected a string at $.architectures.x86_64.artifacts.metal.formats.iso.disk.signature',
    ],
    [
      'a mistyped sha256',
      { architectures: { a: { artifacts: { p: { formats: { f: { disk: { location: 'l', signature: 's', sha256: 1 } } } } } } } },
      'invalid type: number, expected a string at $.architectures.a.artifacts.p.formats.f.disk.sha256',
    ],
  ];
  it.each(broken)('rejects %s naming the JSON path', (_name, doc, message) => {
    expect(() => parseStreamMetadata(JSON.stringify(doc))).toThrow(message);
  });

  it('rejects text that is not JSON', () => {
    expect(() => parseStreamMetadata('{"architectures": ')).toThrow('EOF while parsing a value at line 1 column 18');
    expect(() => parseStreamMetadata('{"a": x}')).toThrow('expected value at line 1 column 7');
    expect(() => parseStreamMetadata('[]')).toThrow('invalid type: array, expected an object at $');
  });
});

describe('listFormats and formatStreamTable', () => {
  it('sorts rows byte-wise and aligns columns with an unpadded last column', () => {
    const meta = parseStreamMetadata(
      JSON.stringify({
        architectures: {
          x86_64: { artifacts: { metal: { formats: { pxe: {}, iso: {} } } } },
          aarch64: { artifacts: { metal: { formats: { 'raw.xz': {}, '4k.raw.xz': {} } } } },
        },
      }),
    );
    expect(formatStreamTable(listFormats(meta))).toBe(
      'Architecture  Platform  Format\n' +
        'aarch64       metal     4k.raw.xz\n' +
        'aarch64       metal     raw.xz\n' +
        'x86_64        metal     iso\n' +
        'x86_64        metal     pxe\n',
    );
  });

  it('compares bytes, not UTF-16 units or locale order', () => {
    const meta = parseStreamMetadata(
      JSON.stringify({ architectures: { b: { artifacts: { p: { formats: { Z: {}, a: {}, é: {}, '\u{1F600}': {}, '\uFF5E': {} } } } } } }),
    );
    expect(listFormats(meta).map((r) => r[2])).toEqual(['Z', 'a', 'é', '\uFF5E', '\u{1F600}']);
  });
});

describe('buildStreamUrl', () => {
  it('resolves like a URL reference', () => {
    expect(buildStreamUrl('https://h/streams/', 'stable').href).toBe('https://h/streams/stable.json');
    expect(buildStreamUrl('https://h/streams', 'stable').href).toBe('https://h/stable.json');
    expect(buildStreamUrl('file:///srv/s/', 'next').href).toBe('file:///srv/s/next.json');
  });

  it('treats a plain path as a directory (E7)', () => {
    expect(buildStreamUrl('/srv/mirror', 'testing').href).toBe('file:///srv/mirror/testing.json');
    expect(buildStreamUrl('/srv/mirror/', 'testing').href).toBe('file:///srv/mirror/testing.json');
  });

  it('fails with upstream context on a bad base', () => {
    try {
      buildStreamUrl('http://[bad', 'stable');
      expect.unreachable();
    } catch (err) {
      expect(errorChain(err)[0]).toBe('building stream URL');
    }
  });
});
