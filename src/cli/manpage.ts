// Manual pages (roff, section 8) from the same command tables as --help:
// one page per visible command, named like clap_mangen's
// (nestos-installer-iso-ignition-embed.8). `npm run build:man` writes them to
// man/; a test fails when a checked-in page differs from what this renders.

import { usageLine } from './help.js';
import type { AnyLeaf, CommandSpec, GroupSpec, OptionSpec, PositionalSpec } from './spec.js';

export const MAN_SECTION = '8';

export interface ManPage {
  /** File name: "nestos-installer-install.8". */
  file: string;
  text: string;
}

/**
 * Escape text for roff: backslashes, hyphens that are not hyphenation points,
 * non-ASCII characters (as \[u00E9] for é: groff reads its input as Latin-1),
 * leading control characters.
 */
function roff(text: string): string {
  const escaped = text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .replace(/[^\x00-\x7f]/gu, (c) => `\\[u${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}]`);
  return escaped.replace(/^([.'])/gm, '\\&$1');
}

function bold(text: string): string {
  return `\\fB${roff(text)}\\fR`;
}

function italic(text: string): string {
  return `\\fI${roff(text)}\\fR`;
}

function optionTerm(o: OptionSpec): string {
  const names = [...(o.short ? [bold(`-${o.short}`)] : []), bold(`--${o.long}`)].join(', ');
  return o.value === undefined ? names : `${names} ${italic(`<${o.value}>`)}`;
}

function optionBody(o: OptionSpec): string[] {
  const lines = [roff(o.help)];
  if (o.default !== undefined) lines.push(`.br\n[default: ${roff(o.default)}]`);
  if (o.multiple) lines.push('.br\nMay be given more than once.');
  return lines;
}

function positionalTerm(p: PositionalSpec): string {
  const name = p.required && p.requiredUnless === undefined ? `<${p.name}>` : `[${p.name}]`;
  return italic(p.multiple ? `${name}...` : name);
}

function positionalBody(p: PositionalSpec): string[] {
  const lines = [roff(p.help ?? '')];
  if (p.values) lines.push(`.br\n[possible values: ${roff(p.values.join(', '))}]`);
  if (p.default !== undefined) lines.push(`.br\n[default: ${roff(p.default)}]`);
  return lines;
}

function pageName(path: string[]): string {
  return path.join('-');
}

function header(path: string[], version: string): string[] {
  const name = pageName(path);
  return [`.TH ${roff(name.toUpperCase())} ${MAN_SECTION} "" "${roff(path[0] ?? name)} ${roff(version)}" "System Administration"`];
}

function leafSections(spec: AnyLeaf): string[] {
  const out: string[] = [];
  const positionals = spec.positionals;
  if (positionals.length > 0) {
    out.push('.SH ARGUMENTS');
    for (const p of positionals) out.push('.TP', positionalTerm(p), ...positionalBody(p));
  }
  const headings = new Map<string, OptionSpec[]>([['Options', []]]);
  for (const o of spec.options) {
    if (o.hidden) continue;
    const heading = o.heading ?? 'Options';
    headings.set(heading, [...(headings.get(heading) ?? []), o]);
  }
  const help: OptionSpec = { long: 'help', short: 'h', help: 'Print help' };
  headings.set('Options', [...(headings.get('Options') ?? []), help]);
  for (const [heading, options] of headings) {
    out.push(`.SH ${roff(heading.toUpperCase())}`);
    for (const o of options) out.push('.TP', optionTerm(o), ...optionBody(o));
  }
  return out;
}

function groupSections(path: string[], spec: GroupSpec, top: boolean): string[] {
  const out = ['.SH OPTIONS', '.TP', `${bold('-h')}, ${bold('--help')}`, 'Print help'];
  if (top) out.push('.TP', `${bold('-V')}, ${bold('--version')}`, 'Print version');
  out.push('.SH SUBCOMMANDS');
  for (const sub of spec.subcommands.filter((c) => !c.hidden)) {
    out.push('.TP', `${bold(pageName([...path, sub.name]))}(${MAN_SECTION})`, roff(sub.about));
  }
  return out;
}

/** The manual page of one command. */
export function renderManPage(path: string[], spec: CommandSpec, version: string): ManPage {
  const name = pageName(path);
  const lines = [...header(path, version), '.SH NAME', `${roff(name)} \\- ${roff(spec.about)}`];
  lines.push('.SH SYNOPSIS', roff(usageLine(path, spec)));
  lines.push('.SH DESCRIPTION', roff(spec.about));
  if (spec.longAbout) lines.push('.PP', roff(spec.longAbout));
  lines.push(...(spec.kind === 'leaf' ? leafSections(spec) : groupSections(path, spec, path.length === 1)));
  if (path.length > 1) lines.push('.SH SEE ALSO', `${bold(pageName(path.slice(0, -1)))}(${MAN_SECTION})`);
  lines.push('.SH VERSION', `v${roff(version)}`);
  return { file: `${name}.${MAN_SECTION}`, text: lines.join('\n') + '\n' };
}

/** Every visible command's page, the top level first, in help order. */
export function renderManPages(root: GroupSpec, version: string): ManPage[] {
  const pages: ManPage[] = [];
  const walk = (path: string[], spec: CommandSpec): void => {
    pages.push(renderManPage(path, spec, version));
    if (spec.kind === 'group') {
      for (const sub of spec.subcommands) if (!sub.hidden) walk([...path, sub.name], sub);
    }
  };
  walk([root.name], root);
  return pages;
}
