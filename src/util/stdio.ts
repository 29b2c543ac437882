// Standard input and output helpers (SPEC 0.2, 0.5, 10.6).

import { readFile } from 'node:fs/promises';
import { isatty } from 'node:tty';
import { CliError, context } from './errors.js';

/** Read a whole (small) input: a file, or stdin when path is undefined or "-". */
export async function readInput(path: string | undefined): Promise<Buffer> {
  if (path === undefined || path === '-') return readStdin().catch(context('reading stdin'));
  return readFile(path).catch(context(`reading ${path}`));
}

/** Read all of stdin into memory (configs, small initrds). */
export async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** Upstream's verify_stdout_not_tty (SPEC 0.5). */
export function refuseTtyStdout(): void {
  if (isatty(1)) throw new CliError('Refusing to write binary data to terminal');
}

/** Write to stdout and wait until the data is handed to the OS (SPEC 10.6). */
export function writeStdout(data: Uint8Array | string): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(data, (err) => (err ? reject(err) : resolve()));
  });
}
