// Help and usage text in clap's layout, wrapped at 80 columns (SPEC 1, R48).

import { wrapWords } from '../util/text.js';
import type { AnyLeaf, CommandSpec, GroupSpec, OptionSpec, PositionalSpec } from './spec.js';

const WIDTH = 80;
/** clap moves the help text to its own line when the left column gets this wide. */
const MAX_LEFT = 40;

function positionalDisplay(p: PositionalSpec): string {
  const base = p.required && p.requiredUnless === undefined ? `<${p.name}>` : `[${p.name}]`;
  return p.multiple ? `${base}...` : base;
}

/** "nestos-installer iso ignition embed [OPTIONS] <ISO>" */
export function usageLine(path: string[], spec: CommandSpec): string {
  const parts = [...path];
  if (spec.kind === 'group') {
    parts.push('<COMMAND>');
    return parts.join(' ');
  }
  // clap always lists [OPTIONS]: every command has at least -h.
  parts.push('[OPTIONS]');
  if (spec.shortUsage) return parts.join(' ');
  for (const o of spec.options) {
    if (o.required) parts.push(o.value === undefined ? `--${o.long}` : `--${o.long} <${o.value}>`);
  }
  for (const p of spec.positionals) parts.push(positionalDisplay(p));
  return parts.join(' ');
}

function optionLeft(o: OptionSpec): string {
  const names = o.short ? `-${o.short}, --${o.long}` : `    --${o.long}`;
  return o.value === undefined ? names : `${names} <${o.value}>`;
}

/** Word-wrap `text` to the width left after `indent` columns. */
export function wrap(text: string, indent: number, width = WIDTH): string[] {
  return wrapWords(text, Math.max(20, width - indent));
}

interface Row {
  left: string;
  help: string;
}

function renderRows(rows: Row[]): string[] {
  const leftWidth = Math.max(...rows.map((r) => r.left.length));
  const out: string[] = [];
  if (leftWidth + 4 > MAX_LEFT) {
    for (const r of rows) {
      out.push(`  ${r.left}`);
      for (const l of wrap(r.help, 10)) out.push(' '.repeat(10) + l);
    }
    return out;
  }
  const indent = 2 + leftWidth + 2;
  for (const r of rows) {
    const [first = '', ...rest] = wrap(r.help, indent);
    out.push(`  ${r.left.padEnd(leftWidth)}  ${first}`.trimEnd());
    for (const l of rest) out.push(' '.repeat(indent) + l);
  }
  return out;
}

function optionHelp(o: OptionSpec): string {
  return o.default !== undefined ? `${o.help} [default: ${o.default}]` : o.help;
}

const HELP_ROW: Row = { left: '-h, --help', help: 'Print help' };
const VERSION_ROW: Row = { left: '-V, --version', help: 'Print version' };

function leafHelp(path: string[], spec: AnyLeaf): string[] {
  const lines = [spec.about];
  if (spec.longAbout) lines.push('', ...wrap(spec.longAbout, 0));
  lines.push('', `Usage: ${usageLine(path, spec)}`);
  const positionals = spec.positionals.map((p) => ({
    left: positionalDisplay(p),
    help: [
      p.help ?? '',
      ...(p.default !== undefined ? [`[default: ${p.default}]`] : []),
      ...(p.values ? [`[possible values: ${p.values.join(', ')}]`] : []),
    ]
      .filter((t) => t !== '')
      .join(' '),
  }));
  if (positionals.length > 0) lines.push('', 'Arguments:', ...renderRows(positionals));
  const sections = new Map<string, Row[]>([['Options', []]]);
  for (const o of spec.options) {
    if (o.hidden) continue;
    const heading = o.heading ?? 'Options';
    const rows = sections.get(heading) ?? [];
    rows.push({ left: optionLeft(o), help: optionHelp(o) });
    sections.set(heading, rows);
  }
  sections.get('Options')?.push(HELP_ROW);
  for (const [heading, rows] of sections) lines.push('', `${heading}:`, ...renderRows(rows));
  return lines;
}

function groupHelp(path: string[], spec: GroupSpec, top: boolean): string[] {
  const commands = spec.subcommands.filter((c) => !c.hidden).map((c) => ({ left: c.name, help: c.about }));
  const lines = [spec.about];
  if (spec.longAbout) lines.push('', ...wrap(spec.longAbout, 0));
  lines.push('', `Usage: ${usageLine(path, spec)}`);
  if (commands.length > 0) lines.push('', 'Commands:', ...renderRows(commands));
  lines.push('', 'Options:', ...renderRows(top ? [HELP_ROW, VERSION_ROW] : [HELP_ROW]));
  return lines;
}

/** The full help text of a command, ending with a newline. */
export function renderHelp(path: string[], spec: CommandSpec): string {
  const lines = spec.kind === 'leaf' ? leafHelp(path, spec) : groupHelp(path, spec, path.length === 1);
  return lines.join('\n') + '\n';
}
