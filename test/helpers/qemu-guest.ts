// A QEMU guest for tests that need a kernel of their own: the distribution
// kernel from /boot, booted under TCG (no /dev/kvm access needed, and KVM
// guests hung on this host) with a busybox initramfs whose /init the test
// writes. Used by the real-kernel initrd test (test/live) and the
// vanishing-disk install test (test/root).
// Tools: qemu-system-x86_64 (qemu-system-x86), busybox (busybox-static), cpio;
// ldd (libc-bin) to copy a dynamically linked program into the initramfs.

import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The host's x86_64 kernel in /boot (one whose modules are installed, when there are several). */
export function hostKernel(): { path: string; version: string } | undefined {
  if (process.arch !== 'x64' || !existsSync('/boot')) return undefined;
  const kernels = readdirSync('/boot')
    .filter((f) => f.startsWith('vmlinuz-'))
    .map((f) => ({ path: join('/boot', f), version: f.slice('vmlinuz-'.length) }));
  return kernels.find((k) => existsSync(join('/lib/modules', k.version, 'modules.dep'))) ?? kernels[0];
}

/**
 * The QEMU arguments every test guest uses: TCG, serial console on stdio,
 * no network, power-off ends QEMU. no_timer_check: on a loaded host the
 * emulated IO-APIC timer check can fail and panic the kernel.
 */
export function qemuArgs(kernel: string, initrd: string, memoryMiB = 256): string[] {
  return [
    '-accel',
    'tcg',
    '-cpu',
    'max',
    '-smp',
    '1',
    '-m',
    String(memoryMiB),
    '-nographic',
    '-no-reboot',
    '-nic',
    'none',
    '-kernel',
    kernel,
    '-initrd',
    initrd,
    '-append',
    'console=ttyS0 panic=-1 loglevel=3 no_timer_check',
  ];
}

/** A directory tree that becomes an initramfs: /bin/busybox and an /init script. */
export class InitramfsTree {
  constructor(readonly root: string) {
    for (const d of ['bin', 'dev', 'proc', 'sys', 'tmp', 'lib/modules']) mkdirSync(join(root, d), { recursive: true });
    copyFileSync(execFileSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).trim(), join(root, 'bin/busybox'));
  }

  /** /init, a busybox sh script. */
  init(script: string): void {
    writeFileSync(join(this.root, 'init'), `#!/bin/busybox sh\n${script}`);
    chmodSync(join(this.root, 'init'), 0o755);
  }

  /** Copy a file to `at` (an absolute path in the guest). */
  file(from: string, at: string, mode = 0o644): void {
    mkdirSync(join(this.root, dirname(at)), { recursive: true });
    copyFileSync(from, join(this.root, at));
    chmodSync(join(this.root, at), mode);
  }

  /** A dynamically linked program at `at`, with the shared libraries ldd names, at their host paths. */
  program(from: string, at: string): void {
    this.file(from, at, 0o755);
    const ldd = execFileSync('ldd', [from], { encoding: 'utf8' });
    for (const lib of ldd.match(/\/\S+/g) ?? []) this.file(lib, lib, 0o755);
  }

  /**
   * The modules of `version` that `names` need, as /lib/modules/<name>.ko
   * (decompressed), and their load order, one name a line, as
   * /lib/modules/order (`for m in $(cat /lib/modules/order); do insmod
   * /lib/modules/$m.ko; done`). Built-in ones are left out.
   */
  modules(version: string, names: string[]): string[] {
    const base = join('/lib/modules', version);
    const deps = new Map<string, { path: string; deps: string[] }>();
    const nameOf = (path: string): string => (path.split('/').pop() ?? '').replace(/\.ko(\.xz|\.zst|\.gz)?$/, '');
    for (const line of readFileSync(join(base, 'modules.dep'), 'utf8').split('\n')) {
      const [path, rest] = line.split(':');
      if (path === undefined || rest === undefined) continue;
      deps.set(nameOf(path), { path, deps: rest.trim().split(/\s+/).filter(Boolean).map(nameOf) });
    }
    const order: string[] = [];
    const visit = (name: string): void => {
      const entry = deps.get(name);
      if (entry === undefined || order.includes(name)) return;
      for (const d of entry.deps) visit(d);
      order.push(name);
      const from = join(base, entry.path);
      const to = join(this.root, 'lib/modules', `${name}.ko`);
      if (from.endsWith('.xz')) writeFileSync(to, execFileSync('xz', ['-dc', from], { maxBuffer: 64 << 20 }));
      else if (from.endsWith('.zst')) writeFileSync(to, execFileSync('zstd', ['-dc', from], { maxBuffer: 64 << 20 }));
      else if (from.endsWith('.gz')) writeFileSync(to, execFileSync('gzip', ['-dc', from], { maxBuffer: 64 << 20 }));
      else copyFileSync(from, to);
    };
    for (const n of names) visit(n);
    writeFileSync(join(this.root, 'lib/modules/order'), order.map((n) => `${n}\n`).join(''));
    return order;
  }

  /** The tree as a newc cpio archive. */
  archive(): Buffer {
    return execFileSync('sh', ['-c', 'cd "$1" && find . | cpio -o -H newc --quiet', 'sh', this.root], { maxBuffer: 1 << 30 });
  }

  /** The archive written to `file`. */
  write(file: string): string {
    execFileSync('sh', ['-c', 'cd "$1" && find . | cpio -o -H newc --quiet > "$2"', 'sh', this.root, file]);
    return file;
  }
}
