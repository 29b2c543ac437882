// --config-file (SPEC 3.1): YAML files and the command line become argument
// lists in the option table's order, defaults dropped; the concatenation is
// parsed again ("last occurrence wins" makes later values override), so the
// install command only ever sees a finished config.

import { readFile } from 'node:fs/promises';
import { invokedFamily } from '../util/family.js';
import { CliError, ContextError, withContext } from '../util/errors.js';
import { writeStdout } from '../util/stdio.js';
import { packageVersion } from '../util/version.js';
import type { AnyLeaf, OptionSpec } from './spec.js';

/** Raw option values as given, keyed by long name (for the config-file merge). */
export type InstallValues = Record<string, string | string[] | boolean>;

/** Options that are not config-file keys (Appendix B). */
const NOT_KEYS = new Set(['config-file', 'firstboot-args']);

export interface SerializeRules {
  /** Defaults that are dropped when a value equals them (after canonicalization). */
  defaults: Record<string, string>;
  /** Canonical text of a value (consoles, hashes, URLs, fetch-retries). */
  canonical: (long: string, value: string) => string;
}

/** Config-file keys in serialization order, then `dest-device`. */
export function configKeys(options: OptionSpec[]): string[] {
  return [...options.filter((o) => !NOT_KEYS.has(o.long)).map((o) => o.long), 'dest-device'];
}

function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'unit value';
  if (Array.isArray(v)) return 'sequence';
  if (typeof v === 'object') return 'map';
  return `string ${JSON.stringify(v)}`;
}

/** Validate one parsed YAML document (failsafe schema: every scalar is text). */
export function valuesFromYaml(doc: unknown, options: OptionSpec[]): InstallValues {
  if (doc === null || doc === undefined || doc === '') return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new CliError(`invalid type: ${typeName(doc)}, expected struct InstallConfig`);
  const keys = configKeys(options);
  const out: InstallValues = {};
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    if (!keys.includes(key)) {
      throw new CliError(`unknown field \`${key}\`, expected one of ${keys.map((k) => `\`${k}\``).join(', ')}`);
    }
    const opt = options.find((o) => o.long === key);
    if (opt !== undefined && opt.value === undefined) {
      if (value !== 'true' && value !== 'false') throw new CliError(`${key}: invalid type: ${typeName(value)}, expected a boolean`);
      out[key] = value === 'true';
    } else if (opt?.multiple) {
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
        throw new CliError(`${key}: invalid type: ${typeName(value)}, expected a sequence of strings`);
      }
      out[key] = value as string[];
    } else {
      if (typeof value !== 'string') throw new CliError(`${key}: invalid type: ${typeName(value)}, expected a string`);
      out[key] = value;
    }
  }
  return out;
}

/** SPEC 3.1 step 2: values → argument list in table order, defaults dropped. */
export function valuesToArgs(values: InstallValues, options: OptionSpec[], rules: SerializeRules): string[] {
  const args: string[] = [];
  for (const o of options) {
    if (NOT_KEYS.has(o.long)) continue;
    const v = values[o.long];
    if (v === undefined || v === false) continue;
    if (v === true) {
      args.push(`--${o.long}`);
      continue;
    }
    const list = Array.isArray(v) ? v : [v];
    for (const item of list) {
      const text = rules.canonical(o.long, item);
      if (!o.multiple && rules.defaults[o.long] === text) continue;
      args.push(`--${o.long}`, text);
    }
  }
  const dest = values['dest-device'];
  if (typeof dest === 'string') args.push(dest);
  return args;
}

/** Read and validate one config file. */
export async function readConfigFile(path: string, options: OptionSpec[]): Promise<InstallValues> {
  const text = await readFile(path, 'utf8').catch((err: unknown) => {
    throw new ContextError(`opening config file ${path}`, err);
  });
  try {
    return await parseConfigText(text, options);
  } catch (err) {
    throw new ContextError(`parsing config file ${path}`, err);
  }
}

/** serde_yaml's limit; a config file is two levels deep. */
const MAX_DEPTH = 128;

/**
 * Parse one config file's text (failsafe schema: every scalar is text). YAML
 * warnings (an unknown tag) are errors, never printed by the library, and
 * nesting past MAX_DEPTH is refused before the library recurses into it.
 */
export async function parseConfigText(text: string, options: OptionSpec[]): Promise<InstallValues> {
  if (nestingDepth(text) > MAX_DEPTH) throw new CliError('recursion limit exceeded');
  const { parseDocument } = await import('yaml');
  const doc = parseDocument(text, { schema: 'failsafe', prettyErrors: false, logLevel: 'silent' });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem !== undefined) throw new CliError(problem.message.split('\n')[0] ?? problem.message);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (err) {
    // An unresolved alias or an alias bomb: the library's ReferenceError, as a plain message.
    throw new CliError(err instanceof Error ? err.message : String(err));
  }
  return valuesFromYaml(value, options);
}

/** An upper bound of the nesting of flow collections and indentation levels. */
function nestingDepth(text: string): number {
  let flow = 0;
  let max = 0;
  for (const line of text.split('\n')) {
    const indent = /^[ -]*/.exec(line)?.[0].length ?? 0;
    max = Math.max(max, indent / 2);
    for (const c of line) {
      if (c === '[' || c === '{') max = Math.max(max, ++flow);
      else if ((c === ']' || c === '}') && flow > 0) flow--;
    }
  }
  return max;
}

/**
 * SPEC 3.1 steps 1-4: every file's list (in order), then the command line's,
 * then `--firstboot-args X` if given on the command line.
 */
export async function expandConfigFiles(
  files: string[],
  commandLine: InstallValues,
  options: OptionSpec[],
  rules: SerializeRules,
): Promise<string[]> {
  const args: string[] = [];
  for (const file of files) args.push(...valuesToArgs(await readConfigFile(file, options), options, rules));
  args.push(...valuesToArgs(commandLine, options, rules));
  const firstboot = commandLine['firstboot-args'];
  if (typeof firstboot === 'string') args.push('--firstboot-args', firstboot);
  return args;
}

/**
 * SPEC 3.1: expand the config files, print the arguments, parse them again with
 * `leafSpec` (DEST_DEVICE made optional: install reports its absence itself)
 * and run the result.
 */
export async function runWithConfigFiles(
  files: string[],
  commandLine: InstallValues,
  leafSpec: AnyLeaf,
  rules: SerializeRules,
): Promise<void> {
  const args = await expandConfigFiles(files, commandLine, leafSpec.options, rules);
  await writeStdout(`Running with arguments: ${args.join(' ')}\n`);
  const [{ parseCommandLine }, { group }] = await Promise.all([import('./parse.js'), import('./spec.js')]);
  const reparse = { ...leafSpec, positionals: leafSpec.positionals.map((p) => ({ ...p, required: false })) };
  const root = group({ name: invokedFamily().programName, about: '', subcommands: [reparse] });
  const invocation = await withContext('reprocessing command-line arguments', () =>
    parseCommandLine(root, ['install', ...args], packageVersion()),
  );
  if (invocation.kind !== 'run') throw new ContextError('reprocessing command-line arguments', new CliError(invocation.text.trim()));
  await invocation.run();
}
