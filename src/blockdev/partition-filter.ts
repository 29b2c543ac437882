// --save-partlabel / --save-partindex values (SPEC 1.16.4). Label globs
// first, then index ranges; the first error wins.

import { CliError, ContextError } from '../util/errors.js';
import { compileGlob, type GlobPattern } from '../util/glob.js';

export type PartitionFilter =
  | { kind: 'label'; text: string; glob: GlobPattern }
  | { kind: 'index'; text: string; start?: number; end?: number };

function parseIndex(part: string): number {
  if (!/^\+?[0-9]+$/.test(part) || Number(part) > 0xffffffff) throw new CliError(`couldn't parse partition index '${part}'`);
  const n = Number(part);
  if (n === 0) throw new CliError('partition index cannot be zero');
  return n;
}

export function parseLabelFilter(text: string): PartitionFilter {
  try {
    return { kind: 'label', text, glob: compileGlob(text) };
  } catch (err) {
    throw new ContextError(`couldn't parse label glob '${text}'`, err);
  }
}

export function parseIndexFilter(text: string): PartitionFilter {
  const parts = text.split('-');
  if (parts.length > 2) throw new CliError(`couldn't parse partition index range '${text}'`);
  if (parts.length === 1) {
    if (text === '') throw new CliError(`both ends of partition index range '${text}' cannot be open`);
    const n = parseIndex(parts[0] ?? '');
    return { kind: 'index', text, start: n, end: n };
  }
  const [a = '', b = ''] = parts;
  const start = a === '' ? undefined : parseIndex(a);
  const end = b === '' ? undefined : parseIndex(b);
  if (start === undefined && end === undefined) throw new CliError(`both ends of partition index range '${text}' cannot be open`);
  if (start !== undefined && end !== undefined && start > end) {
    throw new CliError(`start of partition index range '${text}' cannot be greater than end`);
  }
  const filter: PartitionFilter = { kind: 'index', text };
  if (start !== undefined) filter.start = start;
  if (end !== undefined) filter.end = end;
  return filter;
}

/** All label filters, then all index filters (values already split on commas). */
export function parsePartitionFilters(labels: string[], indexes: string[]): PartitionFilter[] {
  return [...labels.map(parseLabelFilter), ...indexes.map(parseIndexFilter)];
}

/** Whether a used partition (1-based index, name) is selected by any filter. */
export function filterMatches(filters: PartitionFilter[], index: number, label: string): boolean {
  return filters.some((f) =>
    f.kind === 'label' ? f.glob.matches(label) : (f.start === undefined || f.start <= index) && (f.end === undefined || index <= f.end),
  );
}
