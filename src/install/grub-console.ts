// The CONSOLE-SETTINGS block of grub.cfg / console.cfg (SPEC 3.8.6). Pure.

import { CliError } from '../util/errors.js';

const START = '\n# CONSOLE-SETTINGS-START\n';
const END = '# CONSOLE-SETTINGS-END\n';

/** Replace the inside of the first marker block with `commands`, one per line. */
export function replaceConsoleSettings(text: string, commands: string[]): string {
  const start = text.indexOf(START);
  if (start < 0) throw new CliError('missing substitution marker in grub.cfg');
  const inner = start + START.length;
  // The end marker must begin a line inside or right after the block.
  let end = -1;
  for (let at = text.indexOf(END, inner); at >= 0; at = text.indexOf(END, at + 1)) {
    if (at === inner || text[at - 1] === '\n') {
      end = at;
      break;
    }
  }
  if (end < 0) throw new CliError('missing substitution marker in grub.cfg');
  return text.slice(0, inner) + commands.map((c) => `${c}\n`).join('') + text.slice(end);
}
