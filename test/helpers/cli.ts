// Run the built CLI the way a user does and capture everything.
//
// The CLI under test is `node dist/main.js`, or the file named by
// NESTOS_INSTALLER_CLI (the standalone executable: `.ci/run` runs the CLI
// tests against both).

import { spawn, type ChildProcess } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ROOT, runCacheDir } from './tmp.js';

/** The bundled bin, dist/main.js. */
export const CLI = join(ROOT, 'dist', 'main.js');

/** The standalone executable under test, when NESTOS_INSTALLER_CLI names one. */
export const CLI_EXECUTABLE: string | undefined = process.env['NESTOS_INSTALLER_CLI']
  ? resolve(ROOT, process.env['NESTOS_INSTALLER_CLI'])
  : undefined;

/**
 * Program and leading arguments that run the CLI under test with `args`;
 * `as` runs it through a symlink of that name (see CliOptions.as).
 */
export function cliCommand(args: string[], as?: string): { file: string; args: string[] } {
  const target = as === undefined ? (CLI_EXECUTABLE ?? CLI) : cliLink(as);
  return CLI_EXECUTABLE !== undefined ? { file: target, args } : { file: process.execPath, args: [target, ...args] };
}

/** The CLI under test as a shell command prefix (single-quoted words). */
export function cliShell(): string {
  const { file, args } = cliCommand([]);
  return [file, ...args].map((w) => `'${w}'`).join(' ');
}

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
   * Run through a symlink of this name to the CLI under test (`coreos-installer`:
   * the CoreOS wording and defaults, SPEC E10). Default: the CLI itself.
   */
  as?: string;
  /** A command that runs the CLI, e.g. ['unshare', '-n'] (no network). */
  prefix?: string[];
}

let linkDir: string | undefined;

/** `<run cache>/<name>` -> dist/main.js, made once per test process; removed with the run's temp root. */
export function cliLink(name: string): string {
  linkDir ??= runCacheDir('nestos-test-links-');
  const link = join(linkDir, name);
  try {
    symlinkSync(CLI_EXECUTABLE ?? CLI, link);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return link;
}

/** Run the CLI under test with `args`. Never throws on a non-zero status. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

/** Start the CLI and return the child (to signal it) and its result. */
export function startCli(args: string[], options: CliOptions = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const cmd = cliCommand(args, options.as);
  const [command, ...before] = [...(options.prefix ?? []), cmd.file];
  const child = spawn(command ?? cmd.file, [...before, ...cmd.args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, NESTOS_INSTALLER_DEBUG: '', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const done = new Promise<CliResult>((resolve, reject) => {
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
  return { child, done };
}

export const AS_COREOS = { as: 'coreos-installer' } as const;
