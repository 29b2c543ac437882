// Ignition input check (extension E9). `iso ignition embed` and `pxe ignition
// wrap` check the config (JSON, a known spec-3 `ignition.version`, the versions
// upstream's customize parser knows (SPEC 4.10.2), unknown top-level keys) and
// print every finding as a warning, worded like upstream's customize warnings;
// they embed the given bytes whatever the findings (upstream passes them
// through unchecked and scripts rely on it). `customize` parses strictly:
// checkIgnitionConfig throws with upstream's wording.
//
// An empty input (nothing but whitespace) finds nothing: Ignition treats an
// empty config as "no config", and upstream's tests wrap /dev/null on purpose.

import { CliError } from '../util/errors.js';
import { parseJson } from '../util/json.js';
import { warn as logWarn } from '../util/log.js';

export const IGNITION_VERSIONS = ['3.0.0', '3.1.0', '3.2.0', '3.3.0', '3.4.0', '3.5.0', '3.6.0'];

const BASE_KEYS = ['ignition', 'passwd', 'storage', 'systemd'];
/** kernelArguments appeared in spec 3.3.0. */
const KARGS_SINCE = '3.3.0';

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Check one config; returns the unknown top-level keys. Throws CliError with upstream's wording. */
export function checkIgnitionConfig(data: Buffer): string[] {
  const text = data.toString('utf8');
  let json: unknown;
  try {
    json = parseJson(text);
  } catch (err) {
    throw new CliError(`serialization error: ${(err as Error).message}`);
  }
  if (!isObject(json)) throw new CliError('serialization error: invalid type: expected struct Config');
  const ignition = json['ignition'];
  if (!isObject(ignition)) throw new CliError('serialization error: missing field `ignition`');
  const version = ignition['version'];
  if (typeof version !== 'string') throw new CliError('serialization error: missing field `version`');
  if (!SEMVER.test(version)) {
    throw new CliError(`couldn't parse config version: unexpected version syntax '${version}'`);
  }
  if (!IGNITION_VERSIONS.includes(version)) throw new CliError(`unsupported config version: ${version}`);
  const known = version >= KARGS_SINCE ? [...BASE_KEYS, 'kernelArguments'] : BASE_KEYS;
  return Object.keys(json).filter((k) => !known.includes(k));
}

/** One thing the E9 check found: where in the JSON (dotted path; none for the whole document) and what. */
export interface IgnitionFinding {
  path?: string;
  message: string;
}

/**
 * PURE: everything the E9 check finds in a config, never throwing: not JSON,
 * not an object, no `ignition.version`, a version this tool does not know
 * (older or newer), unknown top-level keys. An empty input finds nothing.
 */
export function ignitionFindings(data: Buffer): IgnitionFinding[] {
  const text = data.toString('utf8');
  if (text.trim() === '') return [];
  let json: unknown;
  try {
    json = parseJson(text);
  } catch (err) {
    return [{ message: `serialization error: ${(err as Error).message}` }];
  }
  if (!isObject(json)) return [{ message: 'serialization error: invalid type: expected struct Config' }];
  const ignition = json['ignition'];
  if (!isObject(ignition)) return [{ path: 'ignition', message: 'missing field `ignition`' }];
  const version = ignition['version'];
  if (typeof version !== 'string') return [{ path: 'ignition.version', message: 'missing field `version`' }];
  if (!SEMVER.test(version)) {
    return [{ path: 'ignition.version', message: `couldn't parse config version: unexpected version syntax '${version}'` }];
  }
  if (!IGNITION_VERSIONS.includes(version)) {
    // A newer spec may well be valid for the booting system: say so, never refuse.
    return [{ path: 'ignition.version', message: `unsupported config version: ${version}` }];
  }
  const known = version >= KARGS_SINCE ? [...BASE_KEYS, 'kernelArguments'] : BASE_KEYS;
  return Object.keys(json)
    .filter((k) => !known.includes(k))
    .map((k) => ({ path: k, message: `unused key: ${k}` }));
}

/** "Warning parsing <source>: <message>", with the JSON path in front where the finding has one. */
export function formatFinding(source: string, f: IgnitionFinding): string {
  if (f.path === undefined || f.message === `unused key: ${f.path}`) return `Warning parsing ${source}: ${f.message}`;
  return `Warning parsing ${source}: ${f.path}: ${f.message}`;
}

/**
 * E9 for `iso ignition embed` and `pxe ignition wrap`: every finding is a
 * warning on stderr (`Warning parsing <source>: …`); the bytes are embedded
 * exactly as given whatever is found, as upstream does (scripts rely on it).
 */
export function validateIgnition(data: Buffer, source: string, warn: (line: string) => void = logWarn): void {
  for (const f of ignitionFindings(data)) warn(formatFinding(source, f));
}
