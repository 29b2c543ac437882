// Ignition input check (extension E9): `iso ignition embed` and
// `pxe ignition wrap` accept only JSON with a known spec-3 `ignition.version`
// (the versions upstream's customize parser knows, SPEC 4.10.2). Unknown
// top-level keys only warn, worded like upstream's customize warnings.
//
// An empty input (nothing but whitespace) is accepted: Ignition treats an empty
// config as "no config", and upstream's tests wrap /dev/null on purpose.

import { CliError, ContextError } from '../util/errors.js';
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

/**
 * E9 for a command: throws `parsing Ignition config <source>` ⟶ reason, and
 * prints `Warning parsing <source>: unused key: <key>` for unknown keys.
 */
export function validateIgnition(data: Buffer, source: string, warn: (line: string) => void = logWarn): void {
  if (data.toString('utf8').trim() === '') return;
  let unknown: string[];
  try {
    unknown = checkIgnitionConfig(data);
  } catch (err) {
    throw new ContextError(`parsing Ignition config ${source}`, err);
  }
  for (const key of unknown) warn(`Warning parsing ${source}: unused key: ${key}`);
}
