// Option factories shared by several commands, so their names, placeholders
// and help texts stay identical everywhere.

import type { OptionSpec } from './spec.js';
import { parseFetchRetries } from './types.js';
import { invokedFamily } from '../util/family.js';

export function streamOption(help = `${invokedFamily().streamOsName} stream`, defaultValue?: string): OptionSpec {
  return { long: 'stream', short: 's', value: 'name', help, ...(defaultValue ? { default: defaultValue } : {}) };
}

export function streamBaseUrlOption(help = `Base URL for ${invokedFamily().streamOsName} stream metadata`, heading?: string): OptionSpec {
  return { long: 'stream-base-url', value: 'URL', help, ...(heading ? { heading } : {}) };
}

export function fetchRetriesOption(heading?: string): OptionSpec {
  return {
    long: 'fetch-retries',
    value: 'N',
    help: 'Fetch retries, or "infinite"',
    default: '0',
    parse: parseFetchRetries,
    ...(heading ? { heading } : {}),
  };
}

export function architectureOption(): OptionSpec {
  return { long: 'architecture', short: 'a', value: 'name', help: 'Target CPU architecture [default: uname -m]' };
}

export function outputOption(help = 'Write ISO to a new output file'): OptionSpec {
  return { long: 'output', short: 'o', value: 'path', help };
}

export function forceOption(help: string): OptionSpec {
  return { long: 'force', short: 'f', help };
}

export function insecureOption(heading?: string): OptionSpec {
  return { long: 'insecure', help: 'Allow unsigned image', ...(heading ? { heading } : {}) };
}

export function signingKeyOption(heading?: string): OptionSpec {
  return {
    long: 'signing-key',
    value: 'path',
    help: 'Also trust this OpenPGP public key file',
    multiple: true,
    ...(heading ? { heading } : {}),
  };
}
