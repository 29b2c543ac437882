// Live media for the customize tests: a PXE live initramfs built the way the
// OS builds do it (a dracut-like gzip'd cpio, then an xz cpio holding the
// family's features.json and live-initramfs stamps), and running the CLI
// under the `coreos-installer` name.

import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CliResult } from '../helpers/cli.js';
import { CLI, runCli } from '../helpers/cli.js';
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

/** Run the CLI through a link named `coreos-installer` (the CoreOS wording and defaults). */
export function runAsCoreos(dir: string, args: string[], cwd?: string): Promise<CliResult> {
  const link = join(dir, 'coreos-installer');
  if (!existsSync(link)) symlinkSync(CLI, link);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [link, ...args], {
      cwd: cwd ?? dir,
      env: { ...process.env, NESTOS_INSTALLER_DEBUG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (status, signal) => {
      const stdout = Buffer.concat(out);
      resolve({ status, signal, stdout, out: stdout.toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

export { runCli };
