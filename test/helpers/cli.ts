// Run the built CLI (dist/main.js) the way a user does and capture everything.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './tmp.js';

export const CLI = join(ROOT, 'dist', 'main.js');

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
  /** stdout as UTF-8 text. */
  out: string;
}

export interface CliOptions {
  /** Bytes for stdin (default: empty stdin, closed). */
  input?: Buffer | string;
  cwd?: string;
  env?: Record<string, string | undefined>;
  /**
   * Run through a symlink of this name to dist/main.js (`coreos-installer`: the
   * CoreOS wording and defaults, SPEC E10). Default: dist/main.js itself.
   */
  as?: string;
  /** A command that runs node, e.g. ['unshare', '-n'] (no network). */
  prefix?: string[];
}

let linkDir: string | undefined;

/** `<temp>/<name>` -> dist/main.js, made once per test process and removed at exit. */
export function cliLink(name: string): string {
  if (linkDir === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'nestos-test-links-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    linkDir = dir;
  }
  const link = join(linkDir, name);
  try {
    symlinkSync(CLI, link);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return link;
}

/** Run `node dist/main.js ...args`. Never throws on a non-zero status. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const script = options.as === undefined ? CLI : cliLink(options.as);
  const [command, ...before] = [...(options.prefix ?? []), process.execPath];
  return new Promise((resolve, reject) => {
    const child = spawn(command ?? process.execPath, [...before, script, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, NESTOS_INSTALLER_DEBUG: '', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
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
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}
export const AS_COREOS = { as: 'coreos-installer' } as const;
