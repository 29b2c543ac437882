// BLS entries (SPEC 3.8.4): pick the default entry and edit its single
// `options` line. Pure.

import { CliError } from '../util/errors.js';
import { compareUtf8 } from '../util/bytes.js';

/** The default entry: the last `*.conf` in byte order, or undefined. */
export function defaultEntry(names: string[]): string | undefined {
  return names
    .filter((n) => n.endsWith('.conf'))
    .sort(compareUtf8)
    .at(-1);
}

/**
 * Run `edit` on the options text (after `options `, trimmed). It returns the
 * new options, or undefined for "no change" (the file stays as it was).
 * Returns the rewritten file, or undefined.
 */
export function editBlsOptions(text: string, edit: (options: string) => string | undefined): string | undefined {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const at = lines.flatMap((l, i) => (l.startsWith('options ') ? [i] : []));
  if (at.length > 1) throw new CliError("Multiple 'options' lines found");
  const index = at[0];
  if (index === undefined) throw new CliError("Couldn't locate 'options' line");
  const options = (lines[index] ?? '').slice('options '.length).trim();
  const updated = edit(options);
  if (updated === undefined) return undefined;
  return lines.map((l, i) => (i === index ? `options ${updated.trim()}` : l.trimEnd()) + '\n').join('');
}
