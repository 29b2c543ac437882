// Every parser that reads user input, as a fuzz target: seed inputs (real
// fixtures and files made by the real tools) and a run() that takes one input
// through the same code the commands use. run() may resolve or throw a clean
// error; the harness judges the rest.

import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { bufferReader, readGpt, serializeGpt } from '../../src/blockdev/gpt.js';
import { parseConfigText, valuesToArgs } from '../../src/cli/config-file.js';
import { INSTALL_OPTIONS, SERIALIZE_RULES } from '../../src/cli/install.js';
import { checkIgnitionConfig } from '../../src/ignition/validate.js';
import { Initrd } from '../../src/initrd/initrd.js';
import { readNewcArchive } from '../../src/initrd/newc.js';
import { xzCompress } from '../../src/io/codecs.js';
import { recordOffset } from '../../src/iso9660/directory.js';
import { openIsoFs, type IsoFs } from '../../src/iso9660/iso-fs.js';
import { formatKargArea, parseKargArea } from '../../src/live/embed-areas.js';
import { parseFeatures } from '../../src/live/features.js';
import { IsoConfig } from '../../src/live/iso-config.js';
import { readMinisoData } from '../../src/live/minimal-iso.js';
import { parseMiniso, serializeMiniso, validateTable } from '../../src/live/miniso.js';
import { isoFamily } from '../../src/live/iso-family.js';
import {
  Decoder,
  Encoder,
  decodeHeader,
  decodeTable,
  encodeHeader,
  encodeTable,
  validateTable as validateOsmetTable,
} from '../../src/osmet/format.js';
import { unpackSteps } from '../../src/osmet/unpack.js';
import { optionalU64, parseJsonObject, requiredString } from '../../src/live/json-fields.js';
import { applyKargs } from '../../src/live/kargs.js';
import { findArtifacts, listFormats, formatStreamTable, parseStreamMetadata } from '../../src/source/stream-metadata.js';
import { bufferHandle } from '../helpers/buffer-handle.js';
import { fixture, ROOT } from '../helpers/tmp.js';
import { ISO_FIXTURES, pristineIso } from '../live/fixture-iso.js';
import type { Focus } from './mutator.js';

export interface Seed {
  data: Buffer;
  /** Where mutations matter most. */
  focus?: Focus;
}

export interface FuzzTarget {
  name: string;
  seeds(): Promise<Seed[]>;
  run(input: Buffer): Promise<void>;
}

/** Descriptors, directory extents and small files of an ISO: where its parsers look. */
async function isoFocus(data: Buffer): Promise<Focus> {
  const iso = await openIsoFs(bufferHandle(data));
  const focus: Focus = [[0x8000, 0x8000 + 4 * 2048]];
  const root = iso.root();
  focus.push([recordOffset(root), recordOffset(root) + root.length]);
  for await (const { record } of iso.walk()) {
    if (record.kind === 'directory' || record.length <= 4096) focus.push([recordOffset(record), recordOffset(record) + record.length]);
  }
  return focus;
}

async function isoSeeds(): Promise<Seed[]> {
  const seeds: Seed[] = [];
  for (const name of ISO_FIXTURES) {
    const data = readFileSync(pristineIso(name));
    seeds.push({ data, focus: await isoFocus(data) });
  }
  return seeds;
}

/** The small JSON files of the fixture ISOs (igninfo, kargs, features). */
async function isoJsonFiles(): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const name of ISO_FIXTURES) {
    const iso: IsoFs = await openIsoFs(bufferHandle(readFileSync(pristineIso(name))));
    for await (const { record } of iso.walk()) {
      if (record.kind === 'file' && /\.JSO(N)?$/i.test(record.rrName ?? record.name)) out.push(await iso.readFile(record));
    }
  }
  return out;
}

const IGNITION = Buffer.from('{"ignition":{"version":"3.3.0"},"passwd":{"users":[{"name":"core"}]}}\n');

export const TARGETS: FuzzTarget[] = [
  {
    name: 'iso9660 records + Rock Ridge',
    seeds: isoSeeds,
    async run(input) {
      const iso = await openIsoFs(bufferHandle(input));
      let n = 0;
      for await (const { record } of iso.walk()) {
        if (record.kind === 'file' && record.length <= 65536) await iso.readFile(record);
        if (++n > 10_000) break;
      }
    },
  },
  {
    name: 'embed areas (igninfo, kargs.json, karg headers) and the edit regions',
    seeds: isoSeeds,
    async run(input) {
      const iso = await openIsoFs(bufferHandle(input));
      const config = await IsoConfig.load(iso);
      config.setIgnition(IGNITION);
      if (config.hasKargs()) config.setKargs(`${config.kargsCurrent()} fuzz=1`);
      const allowed = [config.initrdArea, ...(config.kargAreas?.regions ?? [])];
      // Never a write outside the intended areas or the image.
      for (const region of await config.toRegions()) {
        const inside = allowed.some((a) => region.offset >= a.offset && region.offset + region.length <= a.offset + a.length);
        if (!inside || region.offset + region.length > input.length) {
          throw new TypeError(`region at ${region.offset} (+${region.length}) is outside every embed area`);
        }
      }
    },
  },
  {
    name: 'igninfo / kargs / features JSON',
    async seeds() {
      return (await isoJsonFiles()).map((data) => ({ data }));
    },
    async run(input) {
      try {
        parseFeatures(input);
      } catch (err) {
        if (!(err instanceof Error)) throw err;
      }
      const obj = parseJsonObject(input);
      if ('file' in obj) requiredString(obj, 'file');
      optionalU64(obj, 'offset');
      optionalU64(obj, 'length');
      optionalU64(obj, 'size');
    },
  },
  {
    name: 'karg areas',
    async seeds() {
      const kargs = 'coreos.liveiso=NestOS-24.03 ignition.firstboot ignition.platform.id=metal quiet';
      return [
        { data: Buffer.from(`${kargs}\n${'#'.repeat(1024 - kargs.length - 1)}`) },
        { data: Buffer.from(`${kargs} ${'-'.repeat(1024 - kargs.length - 1)}`) },
        { data: Buffer.alloc(2048, '#') },
      ];
    },
    async run(input) {
      const pad = input.length % 2 === 0 ? '#' : '-';
      const end = pad === '#' ? '\n' : ' ';
      const kargs = parseKargArea(input, pad, end);
      const edited = applyKargs(kargs, { append: ['fuzz=1'], delete: ['quiet'], replace: ['ignition.platform.id=metal=qemu'] });
      const out = formatKargArea(edited, { length: input.length, pad, end });
      if (out.length !== input.length) throw new TypeError(`formatted area of ${out.length} bytes for ${input.length}`);
    },
  },
  {
    name: 'newc cpio',
    async seeds() {
      const initrd = new Initrd();
      initrd.set('config.ign', IGNITION);
      initrd.set('etc/coreos-firstboot-network/eth0.nmconnection', Buffer.from('[connection]\nid=eth0\n'));
      initrd.set('usr/lib/x', Buffer.alloc(700, 1));
      const other = new Initrd();
      other.set('a', Buffer.alloc(0));
      return [{ data: initrd.toCpio() }, { data: Buffer.concat([other.toCpio(), Buffer.alloc(7), initrd.toCpio()]) }];
    },
    async run(input) {
      let pos = 0;
      while (pos < input.length) {
        const next = readNewcArchive(
          input,
          pos,
          () => true,
          () => undefined,
        );
        if (next <= pos) throw new TypeError('archive reader made no progress');
        pos = next;
        while (pos < input.length && input[pos] === 0) pos++;
      }
    },
  },
  {
    name: 'initrd concatenation (gzip, xz, zstd members)',
    async seeds() {
      const a = new Initrd();
      a.set('config.ign', IGNITION);
      const b = new Initrd();
      b.set('etc/x', Buffer.from('x\n'));
      const cpio = a.toCpio();
      const zst = execFileSync('zstd', ['-q', '-c'], { input: b.toCpio() });
      return [
        { data: Buffer.concat([await xzCompress(cpio), gzipSync(b.toCpio()), zst, Buffer.alloc(4), cpio]) },
        { data: Buffer.concat([gzipSync(cpio), Buffer.alloc(3), zst]) },
        { data: await a.toXz() },
        ...readdirSync(fixture('initrd'))
          .filter((f) => f.endsWith('.img.xz'))
          .map((f) => ({ data: execFileSync('xz', ['-dc', fixture('initrd', f)]) })),
      ];
    },
    async run(input) {
      await Initrd.fromBuffer(input, undefined, 64 << 20);
    },
  },
  {
    name: 'stream JSON',
    async seeds() {
      return ['stable.json', 'testing.json', 'next.json'].map((f) => ({ data: readFileSync(join(ROOT, 'streams', f)) }));
    },
    async run(input) {
      const meta = parseStreamMetadata(input.toString('utf8'));
      formatStreamTable(listFormats(meta));
      findArtifacts(meta, 'x86_64', 'metal', 'raw.xz');
    },
  },
  {
    name: 'YAML config files',
    async seeds() {
      return [
        'stream: stable\nignition-file: /a.ign\nappend-karg: [a=1, b]\ncopy-network: true\ndest-device: /dev/sda\n',
        'console:\n  - ttyS0,115200n8\nsave-partindex: ["1", "5-"]\nfetch-retries: infinite\nimage-url: https://x/y\n',
        '# nothing\n',
        'ignition-hash: sha256-e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\ninsecure: false\n',
      ].map((t) => ({ data: Buffer.from(t) }));
    },
    async run(input) {
      const values = await parseConfigText(input.toString('utf8'), INSTALL_OPTIONS);
      valuesToArgs(values, INSTALL_OPTIONS, SERIALIZE_RULES);
    },
  },
  {
    name: 'GPT headers and entries',
    async seeds() {
      const seeds: Seed[] = [];
      for (const [file, sector] of [
        ['gpt-512-duplicate-partition-guids.xz', 512],
        ['gpt-4096.xz', 4096],
      ] as const) {
        const data = execFileSync('xz', ['-dc', fixture('disk', file)], { maxBuffer: 64 << 20 });
        seeds.push({
          data,
          focus: [
            [sector, sector * 2 + 128 * 128],
            [data.length - 33 * sector, data.length],
          ],
        });
      }
      return seeds;
    },
    async run(input) {
      const gpt = await readGpt(bufferReader(input));
      if (gpt !== undefined) serializeGpt(gpt);
    },
  },
  {
    name: 'miniso data (MINISO.DAT)',
    async seeds() {
      const seeds: Seed[] = [];
      for (const name of ISO_FIXTURES) {
        const iso = await openIsoFs(bufferHandle(readFileSync(pristineIso(name))));
        const data = await readMinisoData(iso, await isoFamily(iso)).catch(() => undefined);
        // Header and table first: that is what the parser reads; the xz payload stays whole.
        if (data !== undefined) seeds.push({ data: serializeMiniso(data), focus: [[0, 512]] });
      }
      return seeds;
    },
    async run(input) {
      const data = parseMiniso(input);
      validateTable(data.entries);
      serializeMiniso(data);
    },
  },
  {
    name: 'osmet headers and tables',
    async seeds() {
      const object = (n: number): Buffer => Buffer.alloc(32, n);
      const table = {
        partitions: [
          {
            startOffset: 1 << 20,
            endOffset: 5 << 20,
            mappings: [{ extent: { logical: 0, physical: 4096, length: 8192 }, object: object(1) }],
          },
          {
            startOffset: 6 << 20,
            endOffset: 40 << 20,
            mappings: [
              { extent: { logical: 0, physical: 0, length: 4096 }, object: object(2) },
              { extent: { logical: 4096, physical: 65536, length: 300_000 }, object: object(3) },
            ],
          },
        ],
        checksum: Buffer.alloc(32, 7),
        size: 48 << 20,
      };
      const header = { appVersion: '0.20.0', sectorSize: 512, osDescription: 'NestOS 24.03', osArchitecture: 'x86_64' };
      const data = encodeTable(encodeHeader(new Encoder(), header), table).finish();
      return [{ data: Buffer.concat([data, Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0])]) }];
    },
    async run(input) {
      const d = new Decoder(input);
      decodeHeader(d);
      const table = decodeTable(d);
      validateOsmetTable(table);
      unpackSteps(table);
    },
  },
  {
    name: 'Ignition configs (embed/wrap checks)',
    async seeds() {
      return [IGNITION, Buffer.from('{"ignition":{"version":"3.0.0","config":{"merge":[]}},"storage":{}}'), Buffer.from('{}')].map(
        (data) => ({ data }),
      );
    },
    async run(input) {
      checkIgnitionConfig(input);
    },
  },
];
