// Declarative command tables. Each leaf command is an option table, the
// positionals, a converter from parsed arguments to its typed Config, and a
// lazily imported implementation. The same table drives parsing (parse.ts),
// help (help.ts) and, for install, the config-file re-serialization.

export interface OptionSpec {
  /** Long name without the dashes ("ignition-file"). */
  long: string;
  /** One-letter short name without the dash ("i"). */
  short?: string;
  /** Value placeholder shown in help ("path"); absent for boolean flags. */
  value?: string;
  /** One-line help text. */
  help: string;
  /** May be given several times; values accumulate in order. */
  multiple?: boolean;
  required?: boolean;
  /** Not shown in help. */
  hidden?: boolean;
  /** Hidden extra long names ("ignition" for "ignition-file"). */
  aliases?: string[];
  /** Applied when absent and shown as "[default: x]". */
  default?: string;
  /** Long options this one cannot be combined with. */
  conflicts?: string[];
  /** Each value is also split on this delimiter (clap's value_delimiter). */
  split?: string;
  /** Help section; default "Options". */
  heading?: string;
  /**
   * Value parser run at parse time: throw an Error whose message is the
   * reason; it becomes "invalid value 'X' for '--opt <VAL>': <reason>".
   */
  parse?: (value: string) => unknown;
}

export interface PositionalSpec {
  /** Name shown in usage ("ISO", "DEST_DEVICE", "initrd"). */
  name: string;
  help?: string;
  required?: boolean;
  /** Required unless this long option is present (install's --config-file). */
  requiredUnless?: string;
  multiple?: boolean;
  default?: string;
  /** The only accepted values (clap's possible values), shown in help. */
  values?: string[];
}

/** Accessors over the parsed, validated arguments of one leaf command. */
export interface ParsedArgs {
  /** A boolean flag. */
  flag(long: string): boolean;
  /** A single-valued option (default applied), raw text. */
  string(long: string): string | undefined;
  /** A repeatable option, values in order (split applied). */
  strings(long: string): string[];
  /** The parsed value of an option with a `parse` function. */
  parsed<T>(long: string): T | undefined;
  /** Parsed values of a repeatable option with a `parse` function. */
  parsedAll<T>(long: string): T[];
  /** A single positional (default applied). */
  positional(name: string): string | undefined;
  /** A repeatable positional. */
  positionals(name: string): string[];
  /** Options given explicitly on the command line (long names, in table order). */
  given(): string[];
}

export type CommandHandler<C> = (config: C) => Promise<void>;

export interface LeafSpec<C> {
  kind: 'leaf';
  name: string;
  about: string;
  /** Extra paragraph for --help. */
  longAbout?: string;
  hidden?: boolean;
  options: OptionSpec[];
  positionals: PositionalSpec[];
  /** clap's override_usage as upstream uses it: the usage line is only "<path> [OPTIONS]" (pack osmet). */
  shortUsage?: boolean;
  /** install: a single-valued option given twice keeps the last value (SPEC 1.2). */
  overrideSelf?: boolean;
  toConfig(args: ParsedArgs): C;
  /** Loads the implementation on demand, so --help never imports it. */
  load(): Promise<CommandHandler<C>>;
}

export interface GroupSpec {
  kind: 'group';
  name: string;
  about: string;
  /** Paragraph printed under `about` in the group's help. */
  longAbout?: string;
  hidden?: boolean;
  subcommands: CommandSpec[];
}

// `any` on purpose: the registry holds leaves of many Config types, and a
// leaf's toConfig/load pair is only ever used together, so it stays sound.
export type AnyLeaf = LeafSpec<any>;
export type CommandSpec = AnyLeaf | GroupSpec;

export function leaf<C>(spec: Omit<LeafSpec<C>, 'kind'>): LeafSpec<C> {
  return { kind: 'leaf', ...spec };
}

export function group(spec: Omit<GroupSpec, 'kind'>): GroupSpec {
  return { kind: 'group', ...spec };
}

/** Lazy handler: `load: lazy(() => import('../commands/x.js'), 'x')`. */
export function lazy<M, K extends keyof M, C>(importer: () => Promise<M>, name: K): () => Promise<CommandHandler<C>> {
  return async () => (await importer())[name] as unknown as CommandHandler<C>;
}

/** "--output <path>" / "-o" style display of an option, as clap names it in errors. */
export function optionDisplay(opt: OptionSpec): string {
  return opt.value === undefined ? `--${opt.long}` : `--${opt.long} <${opt.value}>`;
}
