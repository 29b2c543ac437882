// Live media for the customize tests: a PXE live initramfs built the way the
// OS builds do it (a dracut-like gzip'd cpio, then an xz cpio holding the
// family's features.json and live-initramfs stamps).

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OsFamily } from '../../src/util/family.js';

export const FULL_FEATURES = {
  'installer-config': true,
  'installer-config-directives': { console: true },
  'live-initrd-network': true,
};

/** The dracut part's files (path → contents). */
export const DRACUT_FILES: Record<string, string> = {
  'etc/os-release': 'NAME=Live\n',
  'usr/bin/live-tool': '#!/bin/sh\necho live\n',
  'usr/lib/systemd/system/live.service': '[Unit]\nDescription=live\n',
};

function cpioOf(tree: string): Buffer {
  return execFileSync('sh', ['-c', 'find . | LC_ALL=C sort | cpio -o -H newc --quiet'], { cwd: tree });
}

/**
 * `<dir>/<name>`: gzip'd cpio of DRACUT_FILES, then (when `family` is given)
 * an xz cpio with `etc/<family>/features.json` (unless features is null)
 * and the live-initramfs stamps.
 */
export function buildLiveInitramfs(
  dir: string,
  name: string,
  family: OsFamily | undefined,
  features: object | null = FULL_FEATURES,
): string {
  const base = join(dir, `${name}.dracut`);
  for (const [path, contents] of Object.entries(DRACUT_FILES)) {
    mkdirSync(join(base, path, '..'), { recursive: true });
    writeFileSync(join(base, path), contents);
  }
  const parts = [execFileSync('gzip', ['-9', '-n', '-c'], { input: cpioOf(base) })];
  if (family !== undefined) {
    const stamps = join(dir, `${name}.stamps`);
    mkdirSync(join(stamps, 'etc', family.id), { recursive: true });
    if (features !== null) writeFileSync(join(stamps, family.initrdFeaturesPath), JSON.stringify(features));
    writeFileSync(join(stamps, family.liveInitramfsStamp), '');
    writeFileSync(join(stamps, family.liveWantRootfsStamp), '');
    parts.push(execFileSync('xz', ['--check=crc32', '-c'], { input: cpioOf(stamps) }));
  }
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat(parts));
  return path;
}
