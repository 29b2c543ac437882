// The yargs adapter: yargs tokenizes and dispatches; the command tables in
// spec.ts decide what is valid, and usage errors are worded and shaped as
// clap's (SPEC 0.3, 1.15, 10.1). Keep all parser tuning in this file.

import { UsageError } from '../util/errors.js';
import { invokedFamily } from '../util/family.js';
import { isVersionRequest, versionLine } from '../util/version.js';
import { renderHelp, usageLine } from './help.js';
import { optionDisplay, type AnyLeaf, type CommandSpec, type GroupSpec, type OptionSpec, type ParsedArgs } from './spec.js';

export type Invocation =
  | { kind: 'run'; run: () => Promise<void> }
  | { kind: 'print'; text: string; stream: 'stdout' | 'stderr'; exitCode: number };

/** Parse like clap: no number parsing, no dot-notation, no negation, strict. */
const PARSER_CONFIGURATION = {
  'camel-case-expansion': false,
  'dot-notation': false,
  'parse-numbers': false,
  'parse-positional-numbers': false,
  'boolean-negation': false,
  'duplicate-arguments-array': true,
  'flatten-duplicate-arrays': true,
  'greedy-arrays': false,
  'strip-aliased': true,
  'unknown-options-as-args': false,
  'populate--': false,
  'short-option-groups': true,
} as const;

type Argv = Record<string, unknown>;

interface Selection {
  path: string[];
  spec: CommandSpec;
  argv: Argv;
}

/** Which command the tokens name (for usage lines in error messages). */
export function commandPathFromArgv(root: GroupSpec, argv: string[]): { path: string[]; spec: CommandSpec } {
  const path = [root.name];
  let spec: CommandSpec = root;
  for (const token of argv) {
    if (spec.kind !== 'group') break;
    if (token === '--') break;
    if (token.startsWith('-')) continue;
    const next: CommandSpec | undefined = spec.subcommands.find((c) => c.name === token);
    if (next === undefined) break;
    path.push(next.name);
    spec = next;
  }
  return { path, spec };
}

/**
 * Split clap-style short clusters the way clap reads them: in `-fo out` each
 * letter is a flag until one takes a value; the rest of the cluster (`-slab`
 * → `-s lab`, `-o-` → `-o -`) is that value. yargs only does this when the
 * value does not start with a letter, so clusters are rewritten up front.
 */
export function splitShortClusters(argv: string[], spec: CommandSpec): string[] {
  if (spec.kind !== 'leaf') return argv;
  const valued = new Set(spec.options.filter((o) => o.value !== undefined && o.short).map((o) => o.short));
  const valuedLong = new Set(spec.options.filter((o) => o.value !== undefined).flatMap((o) => [o.long, ...(o.aliases ?? [])]));
  const out: string[] = [];
  let expectValue = false;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (expectValue) {
      out.push(token);
      expectValue = false;
      continue;
    }
    if (token === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (token.startsWith('--')) {
      out.push(token);
      expectValue = !token.includes('=') && valuedLong.has(token.slice(2));
      continue;
    }
    if (!token.startsWith('-') || token.length < 2) {
      out.push(token);
      continue;
    }
    for (let j = 1; j < token.length; j++) {
      const letter = token.charAt(j);
      out.push(`-${letter}`);
      if (valued.has(letter)) {
        const rest = token.slice(j + 1).replace(/^=/, '');
        if (rest !== '' || token.charAt(j + 1) === '=') out.push(rest);
        else expectValue = true;
        break;
      }
    }
  }
  return out;
}

/** yargs turns a lone "-" positional into ""; it travels as this token instead. */
const STDIO_TOKEN = '\u0000stdio';

function flatten(value: unknown): unknown[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value.flatMap(flatten);
  return [value === STDIO_TOKEN ? '-' : value];
}

/** Put the tokens after "--" into the positional slots yargs left empty. */
function placeTrailing(spec: AnyLeaf, argv: Argv, trailing: string[], usage: string): void {
  const rest = [...trailing];
  for (const p of spec.positionals) {
    if (rest.length === 0) return;
    const have = flatten(argv[p.name]);
    if (p.multiple) {
      argv[p.name] = [...have, ...rest.splice(0)];
    } else if (have.length === 0) {
      argv[p.name] = rest.shift();
    }
  }
  if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0] ?? ''}' found`, usage);
}

/** Turn a yargs failure message into clap's wording. */
function translateFailure(message: string, argv: string[], spec: CommandSpec, options: OptionSpec[]): string {
  const unknown = /^Unknown arguments?: (.*)$/s.exec(message);
  if (unknown) {
    const first = (unknown[1] ?? '').split(', ')[0] ?? '';
    const token =
      argv.find((t) => t === `--${first}` || t.startsWith(`--${first}=`))?.split('=')[0] ??
      (first.length === 1 && argv.some((t) => /^-[^-]/.test(t) && t.includes(first)) ? `-${first}` : first);
    if (spec.kind === 'group' && !token.startsWith('-')) return `unrecognized subcommand '${token}'`;
    return `unexpected argument '${token}' found`;
  }
  const missing = /^Not enough arguments following: (.*)$/.exec(message);
  if (missing) {
    const key = missing[1] ?? '';
    const opt = options.find((o) => o.long === key || o.short === key || o.aliases?.includes(key));
    return `a value is required for '${opt ? optionDisplay(opt) : key}' but none was supplied`;
  }
  return message;
}

function registerCommand(y: YargsLike, path: string[], spec: CommandSpec, select: (s: Selection) => void): void {
  const here = [...path, spec.name];
  if (spec.kind === 'group') {
    y.command({
      command: spec.name,
      describe: false,
      builder: (yy: YargsLike) => {
        for (const sub of spec.subcommands) registerCommand(yy, here, sub, select);
        return yy.strict();
      },
      handler: (argv: Argv) => select({ path: here, spec, argv }),
    });
    return;
  }
  const positionals = spec.positionals.map((p) => (p.multiple ? `[${p.name}..]` : `[${p.name}]`));
  y.command({
    command: [spec.name, ...positionals].join(' '),
    describe: false,
    builder: (yy: YargsLike) => {
      for (const o of spec.options) {
        const alias = [...(o.short ? [o.short] : []), ...(o.aliases ?? [])];
        yy.option(o.long, {
          alias,
          type: o.value === undefined ? 'boolean' : 'string',
          ...(o.value !== undefined ? { requiresArg: true } : {}),
        });
      }
      for (const p of spec.positionals) yy.positional(p.name, { type: 'string', array: p.multiple === true });
      return yy.strict();
    },
    handler: (argv: Argv) => select({ path: here, spec, argv }),
  });
}

/** Validate a leaf's arguments as clap would and expose typed accessors. */
export function buildParsedArgs(spec: AnyLeaf, argv: Argv, usage: string): ParsedArgs {
  const fail = (detail: string): never => {
    throw new UsageError(detail, usage);
  };
  const values = new Map<string, string[]>();
  const flags = new Set<string>();
  const parsed = new Map<string, unknown[]>();
  const given: string[] = [];
  const missing: string[] = [];
  for (const o of spec.options) {
    const raw = flatten(argv[o.long]);
    if (o.value === undefined) {
      if (raw.some((v) => v === true || v === 'true')) {
        flags.add(o.long);
        given.push(o.long);
      }
      continue;
    }
    let list = raw.map(String);
    if (list.length > 0) given.push(o.long);
    if (!o.multiple && list.length > 1) {
      if (!spec.overrideSelf) fail(`the argument '${optionDisplay(o)}' cannot be used multiple times`);
      list = list.slice(-1);
    }
    if (o.split !== undefined) list = list.flatMap((v) => v.split(o.split as string));
    if (list.length === 0 && o.default !== undefined) list = [o.default];
    if (list.length === 0 && o.required) missing.push(optionDisplay(o));
    const parse = o.parse;
    if (parse !== undefined) {
      parsed.set(
        o.long,
        list.map((v) => {
          try {
            return parse(v);
          } catch (err) {
            return fail(`invalid value '${v}' for '${optionDisplay(o)}': ${err instanceof Error ? err.message : String(err)}`);
          }
        }),
      );
    }
    values.set(o.long, list);
  }
  const positionals = new Map<string, string[]>();
  for (const p of spec.positionals) {
    let list = flatten(argv[p.name]).map(String);
    if (list.length === 0 && p.default !== undefined) list = [p.default];
    const excused = p.requiredUnless !== undefined && given.includes(p.requiredUnless);
    if (list.length === 0 && p.required && !excused) missing.push(`<${p.name}>`);
    const values = p.values;
    const invalid = values === undefined ? undefined : list.find((v) => !values.includes(v));
    if (values !== undefined && invalid !== undefined) {
      fail(`invalid value '${invalid}' for '<${p.name}>'\n  [possible values: ${values.join(', ')}]`);
    }
    positionals.set(p.name, list);
  }
  if (missing.length > 0) fail(`the following required arguments were not provided:\n${missing.map((m) => `  ${m}`).join('\n')}`);
  for (const o of spec.options) {
    if (!given.includes(o.long)) continue;
    for (const other of o.conflicts ?? []) {
      const peer = spec.options.find((p) => p.long === other);
      if (peer && given.includes(other)) {
        fail(`the argument '${optionDisplay(o)}' cannot be used with '${optionDisplay(peer)}'`);
      }
    }
  }
  return {
    flag: (long) => flags.has(long),
    string: (long) => values.get(long)?.[0],
    strings: (long) => values.get(long) ?? [],
    parsed: <T>(long: string) => parsed.get(long)?.[0] as T | undefined,
    parsedAll: <T>(long: string) => (parsed.get(long) ?? []) as T[],
    positional: (name) => positionals.get(name)?.[0],
    positionals: (name) => positionals.get(name) ?? [],
    given: () => [...given],
  };
}

// The subset of the yargs instance API used here (its types come from @types/yargs).
interface YargsLike {
  command(module: object): YargsLike;
  option(name: string, options: object): YargsLike;
  positional(name: string, options: object): YargsLike;
  strict(): YargsLike;
}

/**
 * The invocations that need no parser: `--version`, and `--help` after a
 * path of subcommand names (`iso ignition embed -h`). They print exactly what
 * the full parse prints, without loading yargs (start-up time).
 */
export function quickInvocation(root: GroupSpec, argv: string[], version: string): Invocation | undefined {
  if (isVersionRequest(argv)) return { kind: 'print', text: versionLine(version), stream: 'stdout', exitCode: 0 };
  const last = argv[argv.length - 1];
  if (last !== '--help' && last !== '-h') return undefined;
  const path = [root.name];
  let spec: CommandSpec = root;
  for (const token of argv.slice(0, -1)) {
    if (spec.kind !== 'group') return undefined;
    const next: CommandSpec | undefined = spec.subcommands.find((c) => c.name === token);
    if (next === undefined) return undefined;
    path.push(next.name);
    spec = next;
  }
  return { kind: 'print', text: renderHelp(path, spec), stream: 'stdout', exitCode: 0 };
}

export async function parseCommandLine(root: GroupSpec, argv: string[], version: string): Promise<Invocation> {
  const quick = quickInvocation(root, argv, version);
  if (quick !== undefined) return quick;
  const { default: yargs } = await import('yargs');
  let selection: Selection | undefined;
  const select = (s: Selection): void => {
    selection ??= s;
  };
  const failure = (message: string | null, err: Error | undefined): never => {
    if (err instanceof UsageError) throw err;
    const { path, spec } = commandPathFromArgv(root, argv);
    const options = spec.kind === 'leaf' ? spec.options : [];
    const detail = translateFailure(message ?? err?.message ?? 'invalid arguments', argv, spec, options);
    throw new UsageError(detail, usageLine(path, spec));
  };
  const split = splitShortClusters(argv, commandPathFromArgv(root, argv).spec);
  const dashes = split.indexOf('--');
  const trailing = dashes < 0 ? [] : split.slice(dashes + 1);
  const tokens = (dashes < 0 ? split : split.slice(0, dashes)).map((t) => (t === '-' ? STDIO_TOKEN : t));
  const y = yargs(tokens)
    .scriptName(invokedFamily().programName)
    .help(false)
    .version(false)
    .parserConfiguration(PARSER_CONFIGURATION)
    .option('help', { alias: 'h', type: 'boolean', global: true })
    .option('version', { alias: 'V', type: 'boolean', global: false })
    .fail(failure)
    .strict();
  for (const sub of root.subcommands) registerCommand(y as unknown as YargsLike, [root.name], sub, select);
  const top = (await y.parseAsync()) as Argv;

  if (selection === undefined) {
    if (top['help'] === true) return { kind: 'print', text: renderHelp([root.name], root), stream: 'stdout', exitCode: 0 };
    if (top['version'] === true) return { kind: 'print', text: versionLine(version), stream: 'stdout', exitCode: 0 };
    return { kind: 'print', text: renderHelp([root.name], root), stream: 'stderr', exitCode: 2 };
  }
  const { path, spec, argv: args } = selection;
  if (flatten(args['help']).includes(true)) return { kind: 'print', text: renderHelp(path, spec), stream: 'stdout', exitCode: 0 };
  if (spec.kind === 'group') return { kind: 'print', text: renderHelp(path, spec), stream: 'stderr', exitCode: 2 };
  placeTrailing(spec, args, trailing, usageLine(path, spec));
  const parsed = buildParsedArgs(spec, args, usageLine(path, spec));
  const config: unknown = spec.toConfig(parsed);
  return {
    kind: 'run',
    run: async () => {
      const handler = await spec.load();
      await handler(config);
    },
  };
}
