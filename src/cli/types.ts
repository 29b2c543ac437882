// Value parsers for options (SPEC 1.16). Each throws an Error whose message
// is the reason clap prints after "invalid value 'X' for '--opt <VAL>': ".

import { machine } from 'node:os';

import type { Retries } from '../source/http.js';

export type FetchRetries = Retries;

/** Rust's u32 FromStr error texts. */
function parseU32(text: string): number {
  if (text === '') throw new Error('cannot parse integer from empty string');
  if (!/^\+?[0-9]+$/.test(text)) throw new Error('invalid digit found in string');
  const value = Number(text.replace(/^\+/, ''));
  if (value > 0xffffffff) throw new Error('number too large to fit in target type');
  return value;
}

/** `--fetch-retries N|infinite` (SPEC 1.16.1). */
export function parseFetchRetries(text: string): FetchRetries {
  return text === 'infinite' ? 'infinite' : parseU32(text);
}

/** Canonical text of a fetch-retries value (config files, SPEC 3.1). */
export function formatFetchRetries(value: FetchRetries): string {
  return String(value);
}

/** An absolute URL, as the url crate parses it. */
export function parseUrl(text: string): URL {
  try {
    return new URL(text);
  } catch {
    throw new Error(/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(text) ? 'invalid URL' : 'relative URL without a base');
  }
}

/** The default `--architecture`: the running kernel's machine (uname -m). */
export function defaultArchitecture(): string {
  return machine();
}
