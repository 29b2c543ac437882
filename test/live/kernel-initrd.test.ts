// A real kernel accepts the embed-area bytes as an appended initrd: boot the
// host's kernel in QEMU with a tiny busybox initramfs followed by the whole
// area (xz cpio plus its zero padding, exactly as the bootloader appends it),
// and have /init print the config.ign the kernel unpacked.

import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openLiveIso, writeLiveIso } from '../../src/live/live-output.js';
import { missing, needs } from '../helpers/env.js';
import { InitramfsTree, hostKernel, qemuArgs } from '../helpers/qemu-guest.js';
import { tmpDir } from '../helpers/tmp.js';
import { isoCopy } from './fixture-iso.js';
import { buildNestosIso } from './build-iso.js';

const kernel = hostKernel();
const skip =
  needs({ tools: ['qemu-system-x86_64', 'busybox', 'cpio', 'xz', 'xorriso'] }) ??
  (kernel === undefined ? missing('needs an x86_64 kernel in /boot') : undefined);

const CONFIG = Buffer.from('{"ignition":{"version":"3.3.0"},"passwd":{"users":[{"name":"kernel-check"}]}}\n');

describe.skipIf(skip)('the embed area as a kernel initrd', () => {
  it.each(['embed-areas-2023-07.x86_64', 'own xorriso layout'] as const)(
    '%s: the kernel unpacks config.ign from the area bytes',
    async (source) => {
      const dir = tmpDir();
      const iso = source === 'own xorriso layout' ? buildNestosIso(dir).path : isoCopy(source, dir);
      const live = await openLiveIso(iso, { writable: true });
      live.config.setIgnition(CONFIG);
      const area = live.config.initrdArea;
      await writeLiveIso(live, await live.config.toRegions(), { kind: 'in-place' });
      await live.close();
      const areaBytes = readFileSync(iso).subarray(area.offset, area.offset + area.length);

      const tree = new InitramfsTree(join(dir, 'root'));
      tree.init('echo CONFIG-BEGIN\n/bin/busybox cat /config.ign\necho CONFIG-END\n/bin/busybox poweroff -f\n');
      const initrd = join(dir, 'initrd.img');
      writeFileSync(initrd, Buffer.concat([tree.archive(), areaBytes]));

      const r = spawnSync('qemu-system-x86_64', qemuArgs(kernel?.path ?? '', initrd), { encoding: 'utf8', timeout: 90_000 });
      const out = r.stdout.replace(/\r/g, '');
      const m = /CONFIG-BEGIN\n([\s\S]*?)CONFIG-END/.exec(out);
      expect(m?.[1], out.slice(-2000)).toBe(CONFIG.toString());
    },
    120_000,
  );
});
