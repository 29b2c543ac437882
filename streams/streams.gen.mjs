// Generates stable.json, testing.json and next.json: NestOS stream metadata
// documents in the CoreOS stream format. Run: node streams/streams.gen.mjs
// The sha256 fields are derived from the artifact names (these are sample
// documents, not a mirror of a real build), so regeneration is reproducible.

import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';

const BASE = 'https://nestos.openeuler.org/prod/streams';
const STREAMS = {
  stable: { release: '22.03.20261103.0', modified: '2026-11-03T06:12:40Z' },
  testing: { release: '22.03.20261117.1', modified: '2026-11-17T03:48:09Z' },
  next: { release: '24.03.20261120.0', modified: '2026-11-20T11:30:52Z' },
};

const sha = (text) => createHash('sha256').update(text).digest('hex');

function artifact(stream, release, arch, file, uncompressed) {
  const location = `${BASE}/${stream}/builds/${release}/${arch}/${file}`;
  const a = { location, signature: `${location}.sig`, sha256: sha(location) };
  if (uncompressed) a['uncompressed-sha256'] = sha(`${location}#uncompressed`);
  return a;
}

function architecture(stream, release, arch) {
  const n = `nestos-${release}`;
  const art = (file, uncompressed = false) => artifact(stream, release, arch, file, uncompressed);
  return {
    artifacts: {
      metal: {
        release,
        formats: {
          '4k.raw.xz': { disk: art(`${n}-metal4k.${arch}.raw.xz`, true) },
          iso: { disk: art(`${n}-live.${arch}.iso`) },
          pxe: {
            kernel: art(`${n}-live-kernel-${arch}`),
            initramfs: art(`${n}-live-initramfs.${arch}.img`),
            rootfs: art(`${n}-live-rootfs.${arch}.img`),
          },
          'raw.xz': { disk: art(`${n}-metal.${arch}.raw.xz`, true) },
        },
      },
      openstack: { release, formats: { 'qcow2.xz': { disk: art(`${n}-openstack.${arch}.qcow2.xz`, true) } } },
      qemu: { release, formats: { 'qcow2.xz': { disk: art(`${n}-qemu.${arch}.qcow2.xz`, true) } } },
    },
  };
}

for (const [stream, { release, modified }] of Object.entries(STREAMS)) {
  const doc = {
    stream,
    metadata: { 'last-modified': modified, generator: 'nestos-stream-generator v0' },
    architectures: {
      aarch64: architecture(stream, release, 'aarch64'),
      x86_64: architecture(stream, release, 'x86_64'),
    },
  };
  writeFileSync(new URL(`${stream}.json`, import.meta.url), JSON.stringify(doc, null, 2) + '\n');
}
