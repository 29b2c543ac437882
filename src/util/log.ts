// Talk goes to stderr; stdout is for data only (SPEC 0.2).

import { formatErrorChain } from './errors.js';

/** A status line on stderr ("Writing Ignition config"). */
export function info(message: string): void {
  process.stderr.write(message + '\n');
}

/** Alias of info for warnings: upstream prints them plainly, without a prefix. */
export const warn = info;

/** Debug output, only with NESTOS_INSTALLER_DEBUG=1. */
export function debug(message: string): void {
  if (debugEnabled()) process.stderr.write(`debug: ${message}\n`);
}

export function debugEnabled(): boolean {
  const v = process.env['NESTOS_INSTALLER_DEBUG'];
  return v !== undefined && v !== '' && v !== '0';
}

/** Print an error report (SPEC 0.4) without ending the process (install's early report, 3.9). */
export function reportError(err: unknown): void {
  process.stderr.write(formatErrorChain(err));
}
