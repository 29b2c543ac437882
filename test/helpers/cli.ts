// Run the built CLI (dist/main.js) the way a user does and capture everything.

import { spawn } from 'node:child_process';
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
}

/** Run `node dist/main.js ...args`. Never throws on a non-zero status. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
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
