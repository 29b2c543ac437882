// Console specs (SPEC 1.16.2) and the console hint of 3.8.5. Pure.

import { wrapWords } from '../util/text.js';

export type Console =
  | { kind: 'serial'; prefix: 'ttyS' | 'ttyAMA'; port: number; speed: number; parity: 'n' | 'o' | 'e'; bits: number }
  | { kind: 'graphical'; name: 'tty0' | 'hvc0' | 'ttysclp0' };

const SERIAL = /^(ttyS|ttyAMA)([0-9]+)(,([0-9]+)((n|o|e)([5-8])?)?)?$/;

/** Parse a console spec; throws Error(reason) with upstream's texts. */
export function parseConsole(spec: string): Console {
  if (spec.startsWith('console=')) throw new Error('spec should not start with "console="');
  if (spec.startsWith('/dev/')) throw new Error('spec should not start with "/dev/"');
  const m = SERIAL.exec(spec);
  if (m) {
    const port = Number(m[2]);
    if (!/^[0-9]{1,3}$/.test(m[2] ?? '') || port > 255) throw new Error("couldn't parse port");
    let speed = 9600;
    if (m[4] !== undefined) {
      speed = Number(m[4]);
      if (m[4].length > 10 || speed > 0xffffffff) throw new Error("couldn't parse speed");
    }
    return {
      kind: 'serial',
      prefix: m[1] as 'ttyS' | 'ttyAMA',
      port,
      speed,
      parity: (m[6] ?? 'n') as 'n' | 'o' | 'e',
      bits: m[7] !== undefined ? Number(m[7]) : 8,
    };
  }
  if (spec === 'tty0' || spec === 'hvc0' || spec === 'ttysclp0') return { kind: 'graphical', name: spec };
  throw new Error('invalid or unsupported console argument');
}

/** Canonical text: `ttyS0,9600n8`, `tty0`. */
export function formatConsole(c: Console): string {
  return c.kind === 'serial' ? `${c.prefix}${c.port},${c.speed}${c.parity}${c.bits}` : c.name;
}

export function consoleKarg(c: Console): string {
  return `console=${formatConsole(c)}`;
}

export function grubTerminal(c: Console): 'console' | 'serial' {
  return c.kind === 'serial' ? 'serial' : 'console';
}

export function grubSerialCommand(c: Console): string | undefined {
  if (c.kind !== 'serial') return undefined;
  const parity = { n: 'no', o: 'odd', e: 'even' }[c.parity];
  return `serial --unit=${c.port} --speed=${c.speed} --word=${c.bits} --parity=${parity}`;
}

/** SPEC 3.8.6: serial commands in order, then terminal_input/terminal_output. */
export function grubConsoleCommands(consoles: Console[]): string[] {
  const commands = consoles.map(grubSerialCommand).filter((c): c is string => c !== undefined);
  const terminals = [...new Set(consoles.map(grubTerminal))].sort().join(' ');
  return [...commands, `terminal_input ${terminals}`, `terminal_output ${terminals}`];
}

/**
 * SPEC 3.8.5: the note suggesting --console, or undefined. `options` names
 * the two flags (install: --console / --append-karg).
 */
export function consoleHint(kargs: string[], options = { console: '--console', karg: '--append-karg' }): string | undefined {
  const values = kargs.filter((k) => k.startsWith('console=')).map((k) => k.slice('console='.length));
  if (values.length === 0) return undefined;
  for (const v of values) {
    try {
      parseConsole(v);
    } catch {
      return undefined;
    }
  }
  const nb = '\u00a0';
  const a = values
    .map((v) => `${options.console} ${v}`)
    .join(' ')
    .replaceAll(' ', nb);
  const b = values
    .map((v) => `${options.karg} console=${v}`)
    .join(' ')
    .replaceAll(' ', nb);
  const text = `Note: consider using "${a}" instead of "${b}" to configure both kernel and bootloader consoles.`;
  return `\n${wrapWords(text, 80).join('\n').replaceAll(nb, ' ')}\n`;
}
