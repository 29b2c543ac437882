// The clap conventions of SPEC 1.15, checked on a made-up command tree.
import { describe, expect, it } from 'vitest';
import { parseCommandLine, splitShortClusters } from '../../src/cli/parse.js';
import { group, leaf, type ParsedArgs } from '../../src/cli/spec.js';
import { UsageError } from '../../src/util/errors.js';
import { parseFetchRetries } from '../../src/cli/types.js';

let seen: ParsedArgs | undefined;
const capture = (a: ParsedArgs): ParsedArgs => {
  seen = a;
  return a;
};
const load = async () => async () => undefined;

const install = leaf({
  name: 'install',
  about: 'Install',
  overrideSelf: true,
  options: [
    { long: 'config-file', short: 'c', value: 'path', help: 'c', multiple: true },
    { long: 'stream', short: 's', value: 'name', help: 's', conflicts: ['image-url', 'image-file'] },
    { long: 'image-url', short: 'u', value: 'URL', help: 'u', conflicts: ['stream', 'image-file'] },
    { long: 'image-file', short: 'f', value: 'path', help: 'f', conflicts: ['stream', 'image-url'] },
    { long: 'ignition-file', short: 'i', value: 'path', help: 'i', aliases: ['ignition'] },
    { long: 'append-karg', value: 'arg', help: 'a', multiple: true },
    { long: 'save-partindex', value: 'id', help: 'p', multiple: true, split: ',' },
    { long: 'fetch-retries', value: 'N', help: 'r', default: '0', parse: parseFetchRetries },
    { long: 'insecure', help: 'i' },
  ],
  positionals: [{ name: 'DEST_DEVICE', requiredUnless: 'config-file', required: true }],
  toConfig: capture,
  load,
});
const embed = leaf({
  name: 'embed',
  about: 'Embed',
  options: [
    { long: 'keyfile', short: 'k', value: 'path', help: 'k', multiple: true, required: true },
    { long: 'force', short: 'f', help: 'f' },
    { long: 'output', short: 'o', value: 'path', help: 'o' },
  ],
  positionals: [{ name: 'ISO', required: true }],
  toConfig: capture,
  load,
});
const show = leaf({
  name: 'show',
  about: 'Show',
  options: [],
  positionals: [
    { name: 'initrd', required: true },
    { name: 'glob', multiple: true },
  ],
  toConfig: capture,
  load,
});
const root = group({
  name: 'tool',
  about: 'Tool',
  subcommands: [install, group({ name: 'iso', about: 'Iso', subcommands: [embed, show] })],
});

async function parse(argv: string[]): Promise<ParsedArgs> {
  seen = undefined;
  const inv = await parseCommandLine(root, argv, '1.0.0');
  if (inv.kind !== 'run' || seen === undefined) throw new Error(`not a run: ${JSON.stringify(inv)}`);
  return seen;
}

async function usageError(argv: string[]): Promise<string> {
  const err = await parseCommandLine(root, argv, '1.0.0').catch((e: unknown) => e);
  if (!(err instanceof UsageError)) throw new Error(`expected a usage error, got ${String(err)}`);
  return `${err.detail} | ${err.usage}`;
}

describe('command-line parsing', () => {
  it('takes values as --opt v, --opt=v, -o v and -ov, keeps -o - a string', async () => {
    for (const argv of [
      ['iso', 'embed', '-k', 'a', '--output', '-', 'x.iso'],
      ['iso', 'embed', '-ka', '--output=-', 'x.iso'],
      ['iso', 'embed', '-k=a', '-o-', 'x.iso'],
      ['iso', 'embed', '-fka', '-o', '-', 'x.iso'],
    ]) {
      const a = await parse(argv);
      expect(a.strings('keyfile')).toEqual(['a']);
      expect(a.string('output')).toBe('-');
      expect(a.positional('ISO')).toBe('x.iso');
    }
    expect((await parse(['iso', 'embed', '-fka', 'x'])).flag('force')).toBe(true);
  });

  it('does not parse numbers', async () => {
    const a = await parse(['iso', 'embed', '-k', '007', '-o', '1e3', '0x10']);
    expect(a.strings('keyfile')).toEqual(['007']);
    expect(a.string('output')).toBe('1e3');
    expect(a.positional('ISO')).toBe('0x10');
  });

  it('accumulates repeatable options in order and splits on the delimiter', async () => {
    const a = await parse([
      'install',
      '--append-karg',
      'a=1',
      '--append-karg',
      'b',
      '--save-partindex',
      '1,-3',
      '--save-partindex',
      '5-',
      '/dev/sda',
    ]);
    expect(a.strings('append-karg')).toEqual(['a=1', 'b']);
    expect(a.strings('save-partindex')).toEqual(['1', '-3', '5-']);
    expect(a.positional('DEST_DEVICE')).toBe('/dev/sda');
  });

  it('keeps the last value of a single-valued option for install only', async () => {
    const a = await parse(['install', '--fetch-retries', '1', '--fetch-retries', 'infinite', '--insecure', '--insecure', 'd']);
    expect(a.parsed('fetch-retries')).toBe('infinite');
    expect(a.flag('insecure')).toBe(true);
    expect(await usageError(['iso', 'embed', '-k', 'a', '-o', 'x', '-o', 'y', 'i'])).toBe(
      "the argument '--output <path>' cannot be used multiple times | tool iso embed [OPTIONS] --keyfile <path> <ISO>",
    );
  });

  it('applies defaults and parses typed values', async () => {
    expect((await parse(['install', 'd'])).parsed('fetch-retries')).toBe(0);
    expect((await parse(['install', '--fetch-retries', '3', 'd'])).parsed('fetch-retries')).toBe(3);
    expect(await usageError(['install', '--fetch-retries', 'x3', 'd'])).toBe(
      "invalid value 'x3' for '--fetch-retries <N>': invalid digit found in string | tool install [OPTIONS] [DEST_DEVICE]",
    );
  });

  it('accepts hidden long aliases', async () => {
    expect((await parse(['install', '--ignition', 'c.ign', 'd'])).string('ignition-file')).toBe('c.ign');
  });

  it('lists every missing required argument', async () => {
    expect(await usageError(['iso', 'embed'])).toBe(
      'the following required arguments were not provided:\n  --keyfile <path>\n  <ISO> | tool iso embed [OPTIONS] --keyfile <path> <ISO>',
    );
  });

  it('lets --config-file stand in for the destination device', async () => {
    expect((await parse(['install', '-c', 'f.yaml'])).positional('DEST_DEVICE')).toBeUndefined();
    expect(await usageError(['install'])).toBe(
      'the following required arguments were not provided:\n  <DEST_DEVICE> | tool install [OPTIONS] [DEST_DEVICE]',
    );
  });

  it('reports conflicts naming both options', async () => {
    expect(await usageError(['install', '-s', 'stable', '-u', 'http://x/y', 'd'])).toBe(
      "the argument '--stream <name>' cannot be used with '--image-url <URL>' | tool install [OPTIONS] [DEST_DEVICE]",
    );
  });

  it('takes - and values after -- as positionals', async () => {
    const a = await parse(['iso', 'show', '-', 'a*', '--', '-b*']);
    expect(a.positional('initrd')).toBe('-');
    expect(a.positionals('glob')).toEqual(['a*', '-b*']);
  });

  it('rejects unknown options and subcommands in clap words', async () => {
    expect(await usageError(['iso', 'embed', '-k', 'a', '--nope', 'x'])).toBe(
      "unexpected argument '--nope' found | tool iso embed [OPTIONS] --keyfile <path> <ISO>",
    );
    expect(await usageError(['iso', 'nope'])).toBe("unrecognized subcommand 'nope' | tool iso <COMMAND>");
  });

  it('prints a group help on stderr with status 2, and -h on stdout', async () => {
    const bare = await parseCommandLine(root, ['iso'], '1');
    expect(bare).toMatchObject({ kind: 'print', stream: 'stderr', exitCode: 2 });
    const help = await parseCommandLine(root, ['iso', 'embed', '-h'], '1');
    expect(help).toMatchObject({ kind: 'print', stream: 'stdout', exitCode: 0 });
    if (help.kind === 'print') expect(help.text).toContain('Usage: tool iso embed [OPTIONS] --keyfile <path> <ISO>\n');
  });
});

describe('splitShortClusters', () => {
  it('splits flags until one takes a value', () => {
    expect(splitShortClusters(['-fo', 'x', '-kval', '-o=', 'y'], embed)).toEqual(['-f', '-o', 'x', '-k', 'val', '-o', '', 'y']);
    expect(splitShortClusters(['-o', '-fk', '--output', '-x', '--', '-fo'], embed)).toEqual(['-o', '-fk', '--output', '-x', '--', '-fo']);
  });
});
