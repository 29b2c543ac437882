// PURE: user Ignition configs given to customize (`--dest-ignition`,
// `--live-ignition`, SPEC 4.10.1 steps 1 and 11). Unlike `iso ignition
// embed`, customize merges them, so they must parse: JSON, a known spec-3
// version, and object-valued sections. Unknown top-level keys are dropped
// with upstream's warning, and the rest is re-serialized compactly (SPEC
// 4.10.2 allows keeping the parsed JSON instead of upstream's typed round trip).

import { CliError, ContextError } from '../util/errors.js';
import { checkIgnitionConfig } from './validate.js';

const SECTIONS = ['ignition', 'kernelArguments', 'passwd', 'storage', 'systemd'];

function typeName(v: unknown): string {
  if (Array.isArray(v)) return 'sequence';
  if (typeof v === 'string') return `string ${JSON.stringify(v)}`;
  if (typeof v === 'number') return Number.isInteger(v) ? `integer \`${v}\`` : `floating point \`${v}\``;
  if (typeof v === 'boolean') return `boolean \`${v}\``;
  return typeof v;
}

/**
 * Parse a user config; returns its compact re-serialization. Errors:
 * `parsing Ignition config <source>` ⟶ reason. Warnings go through `warn`.
 */
export function parseIgnitionFragment(data: Buffer, source: string, warn: (line: string) => void): Buffer {
  try {
    const unknown = checkIgnitionConfig(data);
    const json = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
    for (const key of SECTIONS) {
      const value = json[key];
      if (value !== undefined && value !== null && (typeof value !== 'object' || Array.isArray(value))) {
        throw new CliError(`serialization error: ${key}: invalid type: ${typeName(value)}, expected a map`);
      }
    }
    for (const key of unknown) {
      warn(`Warning parsing ${source}: unused key: ${key}`);
      delete json[key];
    }
    return Buffer.from(JSON.stringify(json));
  } catch (err) {
    throw new ContextError(`parsing Ignition config ${source}`, err);
  }
}
