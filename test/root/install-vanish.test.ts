// install onto a disk that vanishes mid-write, and a power cut mid-write
// (issue 16, Faults). This host's kernel can neither take away a loop device
// that is open nor fake a disk that can be (no device-mapper, nbd or
// scsi_debug), so the disks are virtio-blk PCI devices of a QEMU guest (TCG)
// booting the distribution kernel, with a busybox initramfs that holds the
// standalone executable (the guest has no node) and a signed image. In one
// boot:
//
// 1. vanish: install onto the first disk; once the disk has taken image data
//    past the first MiB, the install is stopped (SIGSTOP), the disk's PCI
//    device removed, the install continued: it fails with exit 1 and an
//    error that names the device, and ends with `Error: install failed`;
// 2. power cut: install onto the second disk; once it has taken image data
//    past the first MiB the guest says so and the test kills QEMU: the disk
//    holds image data but no partition table of the image (its first MiB is
//    written last), so nothing there boots half-written.
//
// The guest always runs dist/nestos-installer-linux-x64 (npm test's pretest
// builds it), so the pass of .ci/run that runs the CLI tests against that
// same executable leaves this file out (--exclude) rather than boot again.
// Root (the kernel in /boot is readable by root only); an x86_64 kernel in
// /boot with its modules; tools: qemu-system-x86_64, busybox, cpio, ldd, and
// for the image sgdisk, mkfs.ext4, mkfs.vfat, xz, gpg.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferReader, readGpt } from '../../src/blockdev/gpt.js';
import { missing, needs } from '../helpers/env.js';
import { DISK_PATTERN } from '../helpers/loop-disk.js';
import { buildMetalImage, type MetalImage } from '../helpers/metal-image.js';
import { InitramfsTree, hostKernel, qemuArgs } from '../helpers/qemu-guest.js';
import { ROOT } from '../helpers/tmp.js';

const MiB = 1 << 20;
const EXE = join(ROOT, 'dist', 'nestos-installer-linux-x64');
const TOOLS = ['qemu-system-x86_64', 'busybox', 'cpio', 'ldd', 'sgdisk', 'mkfs.ext4', 'mkfs.vfat', 'xz', 'gpg'];
const kernel = hostKernel();

function skipReason(): string | undefined {
  return (
    needs({ root: true, tools: TOOLS }) ??
    (kernel === undefined || !existsSync(join('/lib/modules', kernel.version, 'modules.dep'))
      ? missing('needs an x86_64 kernel in /boot and its modules in /lib/modules')
      : undefined) ??
    (existsSync(EXE) ? undefined : missing(`needs ${EXE} (npm run build:exe)`))
  );
}
const skip = skipReason();

/** Sectors written (field 7 of the device's sysfs stat) after which the disk holds image data past the first MiB. */
const PAST_FIRST_MIB = 4096;

// Both installs keep the dirty page cache small, so the disks take the image
// while it is written; each waits until its disk has taken PAST_FIRST_MIB
// sectors (or the install ended), by the device's sysfs stat.
const INIT = `
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in $(cat /lib/modules/order); do insmod /lib/modules/$m.ko; done
echo ${MiB} > /proc/sys/vm/dirty_background_bytes
echo ${4 * MiB} > /proc/sys/vm/dirty_bytes
disk() { for d in /sys/block/vd*; do [ "$(cat $d/serial 2>/dev/null)" = "$1" ] && echo \${d##*/}; done; }
wait_written() {
  while kill -0 $2 2>/dev/null; do
    read -r r1 r2 r3 r4 w1 w2 sectors rest < /sys/block/$1/stat
    [ "$sectors" -ge ${PAST_FIRST_MIB} ] && return
    sleep 0.02
  done
}
install() { /bin/nestos-installer install -f /image.xz --signing-key /key.asc /dev/$1; }

v=$(disk vanish)
install $v >/tmp/vanish.out 2>/tmp/vanish.err &
pid=$!
wait_written $v $pid
kill -STOP $pid
echo "@vanish-device@ /dev/$v"
echo 1 > $(readlink -f /sys/block/$v/device/..)/remove
kill -CONT $pid
wait $pid
echo "@vanish-status@ $?"
echo @vanish-stderr-begin@; cat /tmp/vanish.err; echo @vanish-stderr-end@

c=$(disk cut)
install $c >/dev/null 2>/tmp/cut.err &
pid=$!
wait_written $c $pid
kill -0 $pid && echo @cut-now@
sleep 30
echo @cut-missed@; cat /tmp/cut.err
poweroff -f
`;

interface GuestRun {
  /** The serial console, CRs removed. */
  out: string;
  /** Whether the test killed QEMU at @cut-now@. */
  cut: boolean;
}

function runGuest(args: string[], onChild: (c: ChildProcess) => void): Promise<GuestRun> {
  return new Promise((resolve, reject) => {
    const qemu = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    onChild(qemu);
    let out = '';
    let cut = false;
    const timer = setTimeout(() => qemu.kill('SIGKILL'), 240_000);
    const take = (chunk: Buffer): void => {
      out += chunk.toString('utf8').replace(/\r/g, '');
      if (!cut && out.includes('@cut-now@\n')) {
        cut = true;
        qemu.kill('SIGKILL');
      }
    };
    qemu.stdout.on('data', take);
    qemu.stderr.on('data', take);
    qemu.on('error', reject);
    qemu.on('close', () => {
      clearTimeout(timer);
      resolve({ out, cut });
    });
  });
}

const between = (text: string, begin: string, end: string): string | undefined => {
  const i = text.indexOf(`${begin}\n`);
  const j = text.indexOf(`${end}\n`, i);
  return i < 0 || j < 0 ? undefined : text.slice(i + begin.length + 1, j);
};

describe.skipIf(skip)('install onto a disk that vanishes or loses power mid-write (QEMU guest)', () => {
  // Made in beforeAll rather than with tmpDir() while the file is collected:
  // a skipped describe runs no afterAll to remove it.
  let dir = '';
  let image: MetalImage;
  let qemu: ChildProcess | undefined;
  let guest: GuestRun;
  const disks = { vanish: '', cut: '' };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nestos-install-vanish-'));
    image = await buildMetalImage(dir);
    const tree = new InitramfsTree(join(dir, 'initramfs'));
    tree.program(EXE, '/bin/nestos-installer');
    tree.file(image.xz, '/image.xz');
    tree.file(`${image.xz}.sig`, '/image.xz.sig');
    tree.file(image.key.publicKeyFile, '/key.asc');
    tree.modules(kernel?.version ?? '', ['virtio_pci', 'virtio_blk']);
    tree.init(INIT);
    const initrd = tree.write(join(dir, 'initrd.img'));
    for (const name of ['vanish', 'cut'] as const) {
      disks[name] = join(dir, `${name}.img`);
      writeFileSync(disks[name], Buffer.alloc(64 * MiB, DISK_PATTERN));
    }
    const args = [
      ...qemuArgs(kernel?.path ?? '', initrd, 1024),
      ...Object.entries(disks).flatMap(([name, file]) => [
        '-drive',
        `file=${file},format=raw,if=none,id=${name}`,
        '-device',
        `virtio-blk-pci,drive=${name},serial=${name}`,
      ]),
    ];
    guest = await runGuest(args, (c) => {
      qemu = c;
    });
  }, 300_000);

  afterAll(() => {
    if (qemu !== undefined && qemu.exitCode === null && qemu.signalCode === null) qemu.kill('SIGKILL');
    image?.key.close();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  /** The disk file holds no partition table of the image: an empty GPT (install's placeholder) or none. */
  const expectNoImageTable = async (file: string): Promise<Buffer> => {
    const disk = readFileSync(file);
    const gpt = await readGpt(bufferReader(disk));
    expect(gpt?.entries ?? []).toEqual([]);
    expect(disk.subarray(0, MiB).equals(readFileSync(image.raw).subarray(0, MiB))).toBe(false);
    return disk;
  };

  it('a disk removed mid-write: exit 1, the device named, `Error: install failed` last, no stack trace', async () => {
    const dev = /@vanish-device@ (\S+)\n/.exec(guest.out)?.[1];
    const stderr = between(guest.out, '@vanish-stderr-begin@', '@vanish-stderr-end@');
    expect(dev, guest.out.slice(-3000)).toMatch(/^\/dev\/vd[a-z]$/);
    expect(stderr, guest.out.slice(-3000)).toBeDefined();
    expect(/@vanish-status@ (\d+)\n/.exec(guest.out)?.[1], stderr).toBe('1');
    expect(stderr).toContain(`\nError: device ${dev} was removed\n\nCaused by:\n`);
    expect(stderr).not.toContain('Install complete.');
    expect(stderr).not.toMatch(/^\s+at /m);
    expect(stderr?.trimEnd().split('\n').at(-1)).toBe('Error: install failed');
    await expectNoImageTable(disks.vanish);
  });

  it('a power cut mid-write leaves image data but no partition table of the image: no bootable half disk', async () => {
    expect(guest.cut, guest.out.slice(-3000)).toBe(true);
    const disk = await expectNoImageTable(disks.cut);
    // The cut came after image data past the first MiB had reached the disk.
    const raw = readFileSync(image.raw);
    const pattern = Buffer.alloc(MiB, DISK_PATTERN);
    let imageMiBs = 0;
    for (let at = MiB; at + MiB <= raw.length; at += MiB) {
      const block = disk.subarray(at, at + MiB);
      if (!block.equals(pattern) && block.equals(raw.subarray(at, at + MiB))) imageMiBs++;
    }
    expect(imageMiBs).toBeGreaterThan(0);
  });
});
