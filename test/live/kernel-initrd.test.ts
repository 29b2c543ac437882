// A real kernel accepts the embed-area bytes as an appended initrd: boot the
// host's kernel in QEMU with a tiny busybox initramfs followed by the whole
// area (xz cpio plus its zero padding, exactly as the bootloader appends it),
// and have /init print the config.ign the kernel unpacked.

import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openLiveIso, writeLiveIso } from '../../src/live/live-output.js';
import { needs } from '../helpers/env.js';
import { tmpDir } from '../helpers/tmp.js';
import { isoCopy } from './fixture-iso.js';
import { buildNestosIso } from './build-iso.js';

function hostKernel(): string | undefined {
  if (!existsSync('/boot')) return undefined;
  const name = readdirSync('/boot').find((f) => f.startsWith('vmlinuz'));
  return name === undefined ? undefined : join('/boot', name);
}

const kernel = hostKernel();
const skip =
  needs({ tools: ['qemu-system-x86_64', 'busybox', 'cpio', 'xz', 'xorriso'] }) ??
  (kernel === undefined || process.arch !== 'x64' ? 'needs an x86_64 kernel in /boot' : undefined);

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

      const root = join(dir, 'root');
      mkdirSync(join(root, 'bin'), { recursive: true });
      copyFileSync(execFileSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).trim(), join(root, 'bin/busybox'));
      writeFileSync(
        join(root, 'init'),
        '#!/bin/busybox sh\n' + 'echo CONFIG-BEGIN\n/bin/busybox cat /config.ign\necho CONFIG-END\n' + '/bin/busybox poweroff -f\n',
      );
      chmodSync(join(root, 'init'), 0o755);
      const base = execFileSync('sh', ['-c', 'cd "$1" && find . | cpio -o -H newc --quiet', 'sh', root], { maxBuffer: 64 << 20 });
      const initrd = join(dir, 'initrd.img');
      writeFileSync(initrd, Buffer.concat([base, areaBytes]));

      // TCG, not KVM: it needs no /dev/kvm access and boots this small kernel in seconds.
      // no_timer_check: on a loaded host the emulated IO-APIC timer check can fail and panic the kernel.
      const r = spawnSync(
        'qemu-system-x86_64',
        [
          '-accel',
          'tcg',
          '-cpu',
          'max',
          '-m',
          '256',
          '-nographic',
          '-no-reboot',
          '-kernel',
          kernel ?? '',
          '-initrd',
          initrd,
          '-append',
          'console=ttyS0 panic=-1 loglevel=3 no_timer_check',
        ],
        { encoding: 'utf8', timeout: 90_000 },
      );
      const out = r.stdout.replace(/\r/g, '');
      const m = /CONFIG-BEGIN\n([\s\S]*?)CONFIG-END/.exec(out);
      expect(m?.[1], out.slice(-2000)).toBe(CONFIG.toString());
    },
    120_000,
  );
});
