// BLS options editing (3.8.4), the GRUB console block (3.8.6), the boot-label note (3.10).
import { describe, expect, it } from 'vitest';
import { defaultEntry, editBlsOptions } from '../../src/install/bls.js';
import { replaceConsoleSettings } from '../../src/install/grub-console.js';
import { otherBootDevices } from '../../src/install/failure.js';
import { findBoot } from '../../src/install/write-disk.js';

describe('BLS entries', () => {
  it('picks the last .conf in byte order', () => {
    expect(defaultEntry(['ostree-2.conf', 'ostree-10.conf', 'x.txt'])).toBe('ostree-2.conf');
    expect(defaultEntry(['README'])).toBeUndefined();
  });

  it('rewrites only when the callback changes something', () => {
    const text = 'title NestOS  \nversion 1\noptions   root=UUID=x rw ignition.platform.id=metal  \nlinux /vmlinuz\n';
    expect(editBlsOptions(text, () => undefined)).toBeUndefined();
    const seen: string[] = [];
    const out = editBlsOptions(text, (o) => {
      seen.push(o);
      return `${o} quiet `;
    });
    expect(seen).toEqual(['root=UUID=x rw ignition.platform.id=metal']);
    expect(out).toBe('title NestOS\nversion 1\noptions root=UUID=x rw ignition.platform.id=metal quiet\nlinux /vmlinuz\n');
  });

  it('needs exactly one options line', () => {
    expect(() => editBlsOptions('title x\n', (o) => o)).toThrow("Couldn't locate 'options' line");
    expect(() => editBlsOptions('options a\noptions b\n', (o) => o)).toThrow("Multiple 'options' lines found");
  });
});

describe('GRUB console block', () => {
  const cfg = 'set x=1\n# CONSOLE-SETTINGS-START\nserial --speed=1\nterminal_input serial\n# CONSOLE-SETTINGS-END\nboot\n';
  it('replaces the inside of the first block', () => {
    expect(replaceConsoleSettings(cfg, ['terminal_input console', 'terminal_output console'])).toBe(
      'set x=1\n# CONSOLE-SETTINGS-START\nterminal_input console\nterminal_output console\n# CONSOLE-SETTINGS-END\nboot\n',
    );
    expect(replaceConsoleSettings(cfg, [])).toBe('set x=1\n# CONSOLE-SETTINGS-START\n# CONSOLE-SETTINGS-END\nboot\n');
  });
  it('fails without markers', () => {
    expect(() => replaceConsoleSettings('set x=1\n', [])).toThrow('missing substitution marker in grub.cfg');
  });
});

describe('boot partition lookup', () => {
  it('applies the 3.8.1 errors', () => {
    const p = (path: string, label?: string, fstype?: string) => ({
      path,
      mountpoints: [],
      swap: false,
      holders: [],
      ...(label ? { label } : {}),
      ...(fstype ? { fstype } : {}),
    });
    expect(() => findBoot('/dev/x', [])).toThrow("couldn't find any partitions on /dev/x");
    expect(() => findBoot('/dev/x', [p('/dev/x1', 'root')])).toThrow("couldn't find boot device for /dev/x");
    expect(() => findBoot('/dev/x', [p('/dev/x1', 'boot', 'ext4'), p('/dev/x2', 'boot', 'ext4')])).toThrow(
      'found multiple devices on /dev/x with label "boot"',
    );
    expect(() => findBoot('/dev/x', [p('/dev/x1', 'boot')])).toThrow("couldn't get filesystem type of boot device for /dev/x");
    expect(findBoot('/dev/x', [p('/dev/x1', 'EFI-SYSTEM', 'vfat'), p('/dev/x3', 'boot', 'ext4')]).path).toBe('/dev/x3');
  });
});

describe('duplicate boot labels', () => {
  it('keeps one entry per UUID, skips RAID members and the install device', () => {
    const text = [
      '/dev/sda3: LABEL="boot" UUID="u1" TYPE="ext4" USAGE="filesystem"',
      '/dev/sdb3: LABEL="boot" UUID="u2" TYPE="ext4" USAGE="filesystem"',
      '/dev/sdc3: LABEL="boot" UUID="u2" TYPE="ext4" USAGE="filesystem"',
      '/dev/sdd1: LABEL="boot" UUID="u3" TYPE="linux_raid_member" USAGE="raid"',
      '/dev/sde1: LABEL="data" UUID="u4" TYPE="ext4"',
    ].join('\n');
    expect(otherBootDevices(text, '/dev/sda')).toEqual(['/dev/sdb3']);
    expect(otherBootDevices(text.split('\n')[0] ?? '', '/dev/sda')).toBeUndefined();
  });
});
