import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROOT_COMMAND } from '../../src/cli/index.js';
import { renderHelp } from '../../src/cli/help.js';
import type { CommandSpec } from '../../src/cli/spec.js';
import { AS_COREOS, runCli } from '../helpers/cli.js';
import { ROOT } from '../helpers/tmp.js';

function walk(spec: CommandSpec, path: string[], out: [string[], CommandSpec][]): [string[], CommandSpec][] {
  out.push([path, spec]);
  if (spec.kind === 'group') for (const sub of spec.subcommands) walk(sub, [...path, sub.name], out);
  return out;
}
const commands = walk(ROOT_COMMAND, [ROOT_COMMAND.name], []);

describe('help', () => {
  it.each(commands.map(([path, spec]) => [path.join(' '), path, spec] as const))(
    'keeps every line of `%s --help` within 80 columns',
    (_name, path, spec) => {
      for (const line of renderHelp(path, spec).split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    },
  );

  it('lists the registered commands at the top level, visible ones only', async () => {
    const r = await runCli(['--help']);
    expect(r.status).toBe(0);
    const visible = ROOT_COMMAND.subcommands.filter((c) => !c.hidden);
    for (const c of visible) expect(r.out).toMatch(new RegExp(`^  ${c.name} +${c.about}$`, 'm'));
    for (const c of ROOT_COMMAND.subcommands.filter((s) => s.hidden)) expect(r.out).not.toContain(`  ${c.name} `);
    expect(r.out).toContain('Usage: nestos-installer <COMMAND>\n');
  });

  it('prints the help of a command with -h on stdout', async () => {
    const r = await runCli(['list-stream', '-h']);
    expect(r.status).toBe(0);
    expect(r.out).toContain('Usage: nestos-installer list-stream [OPTIONS]\n');
    expect(r.out).toContain('  -s, --stream <name>          NestOS stream [default: stable]\n');
  });

  it('prints help on stderr and exits 2 without a subcommand', async () => {
    const r = await runCli([]);
    expect(r.status).toBe(2);
    expect(r.out).toBe('');
    expect(r.stderr).toContain('Usage: nestos-installer <COMMAND>');
  });

  it('top-level help says which media it serves and how to run it as coreos-installer (E10)', async () => {
    const r = await runCli(['--help']);
    expect(r.out).toMatch(/^Installer for NestOS\n\nServes NestOS and CoreOS media alike/);
    expect(r.out.replace(/\s+/g, ' ')).toContain('run through a link named coreos-installer it speaks exactly as coreos-installer does.');
  });

  it('through a coreos-installer link: upstream name, about lines and option help', async () => {
    const top = await runCli(['--help'], AS_COREOS);
    expect(top.out).toMatch(/^Installer for Fedora CoreOS and RHEL CoreOS\n\nUsage: coreos-installer <COMMAND>\n/);
    for (const line of [
      '  install      Install Fedora CoreOS or RHEL CoreOS\n',
      '  download     Download a CoreOS image\n',
      '  list-stream  List available images in a Fedora CoreOS stream\n',
      '  iso          Commands to manage a CoreOS live ISO image\n',
      '  pxe          Commands to manage a CoreOS live PXE image\n',
    ]) {
      expect(top.out).toContain(line);
    }
    const ls = await runCli(['list-stream', '-h'], AS_COREOS);
    expect(ls.out).toContain('Usage: coreos-installer list-stream [OPTIONS]\n');
    expect(ls.out).toContain('  -s, --stream <name>          Fedora CoreOS stream [default: stable]\n');
    expect((await runCli(['--version'], AS_COREOS)).out).toMatch(/^coreos-installer \d+\.\d+\.\d+\n$/);
  });

  it('prints the version from package.json', async () => {
    const pkg = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await runCli([flag]);
      expect(r.status).toBe(0);
      expect(r.out).toBe(`nestos-installer ${pkg.version}\n`);
    }
  });
});

describe('usage errors', () => {
  const shape = (detail: string, usage: string): string => `error: ${detail}\n\nUsage: ${usage}\n\nFor more information, try '--help'.\n`;

  it('rejects an unknown option', async () => {
    const r = await runCli(['list-stream', '--bogus']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(shape("unexpected argument '--bogus' found", 'nestos-installer list-stream [OPTIONS]'));
  });

  it('rejects an extra positional', async () => {
    const r = await runCli(['list-stream', 'extra']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(shape("unexpected argument 'extra' found", 'nestos-installer list-stream [OPTIONS]'));
  });

  it('rejects an unknown subcommand', async () => {
    const r = await runCli(['frobnicate']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(shape("unrecognized subcommand 'frobnicate'", 'nestos-installer <COMMAND>'));
  });

  it('rejects a single-valued option given twice', async () => {
    const r = await runCli(['list-stream', '-s', 'a', '--stream', 'b']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(shape("the argument '--stream <name>' cannot be used multiple times", 'nestos-installer list-stream [OPTIONS]'));
  });

  it('rejects an option without its value', async () => {
    const r = await runCli(['list-stream', '--stream']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      shape("a value is required for '--stream <name>' but none was supplied", 'nestos-installer list-stream [OPTIONS]'),
    );
  });

  it('rejects top-level options before a subcommand', async () => {
    const r = await runCli(['--version', 'list-stream']);
    expect(r.status).toBe(2);
  });
});
