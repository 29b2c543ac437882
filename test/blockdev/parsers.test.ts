import { describe, expect, it } from 'vitest';
import { parseBlkid, parseLsblkPairs } from '../../src/blockdev/lsblk.js';
import { parseMountinfo, parseSwaps } from '../../src/blockdev/mounts.js';
import { rereadError } from '../../src/blockdev/device.js';

describe('mountinfo', () => {
  it('parses fields, optional tags and escapes', () => {
    const text = [
      '36 35 98:0 /mnt1 /mnt/with\\040space rw,noatime master:1 - ext3 /dev/root rw,errors=continue',
      '100 29 7:1 / /tmp/nestos-installer-abc rw,relatime shared:55 - ext4 /dev/loop0p3 rw',
      '',
    ].join('\n');
    expect(parseMountinfo(text)).toEqual([
      { devno: '98:0', mountPoint: '/mnt/with space', fstype: 'ext3', source: '/dev/root' },
      { devno: '7:1', mountPoint: '/tmp/nestos-installer-abc', fstype: 'ext4', source: '/dev/loop0p3' },
    ]);
  });
  it('parses /proc/swaps', () => {
    expect(parseSwaps('Filename\tType\tSize\tUsed\tPriority\n/dev/vda2                               partition\t1\t0\t-2\n')).toEqual([
      '/dev/vda2',
    ]);
  });
});

describe('lsblk and blkid output', () => {
  it('parses pairs, empty values absent, escapes kept', () => {
    const rows = parseLsblkPairs(
      'NAME="/dev/loop0" LABEL="" FSTYPE="" TYPE="loop" MOUNTPOINT="" UUID=""\n' +
        'NAME="/dev/loop0p3" LABEL="boot" FSTYPE="ext4" TYPE="part" MOUNTPOINT="/mnt/a\\x20b" UUID="1234"\n',
    );
    expect(rows).toEqual([
      { NAME: '/dev/loop0', TYPE: 'loop' },
      { NAME: '/dev/loop0p3', LABEL: 'boot', FSTYPE: 'ext4', TYPE: 'part', MOUNTPOINT: '/mnt/a\\x20b', UUID: '1234' },
    ]);
  });
  it('parses blkid -p lines', () => {
    expect(parseBlkid('/dev/loop0p2: SEC_TYPE="msdos" LABEL="EFI-SYSTEM" TYPE="vfat" USAGE="filesystem"\n')).toEqual([
      { name: '/dev/loop0p2', fields: { SEC_TYPE: 'msdos', LABEL: 'EFI-SYSTEM', TYPE: 'vfat', USAGE: 'filesystem' } },
    ]);
  });
  it('maps BLKRRPART errors to the 3.7 wording', () => {
    expect(rereadError('blockdev: ioctl error on BLKRRPART: Device or resource busy').message).toBe(
      "couldn't reread partition table: device is in use",
    );
    expect(rereadError('blockdev: ioctl error on BLKRRPART: Invalid argument').message).toBe(
      "couldn't reread partition table: device may not support partitions",
    );
    expect(rereadError('other').message).toBe("couldn't reread partition table");
  });
});
