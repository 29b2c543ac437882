// Glob patterns with the semantics of Rust's `glob` 0.3 crate and its default
// MatchOptions (SPEC 10.3): whole-string, case-sensitive matching; `*` and `?`
// also match `/`; `**` only as a whole path component; `[...]`/`[!...]`
// classes (`]` right after `[` or `[!` is a member; `a-z` ranges); no escapes,
// no braces. Patterns compile to an anchored RegExp over code points.
//
// Errors read like upstream's PatternError:
//   "Pattern syntax error near position <n>: <msg>" (n counts characters).

export interface GlobPattern {
  /** The pattern text as given. */
  readonly source: string;
  /** True when the whole string matches the pattern. */
  matches(s: string): boolean;
}

const ERROR_WILDCARDS = 'wildcards are either regular `*` or recursive `**`';
const ERROR_RECURSIVE_WILDCARDS = 'recursive wildcards must form a single path component';
const ERROR_INVALID_RANGE = 'invalid range pattern';

/** A glob syntax error; `pos` is the character index upstream reports. */
export class GlobSyntaxError extends Error {
  override name = 'GlobSyntaxError';
  readonly pos: number;
  constructor(pos: number, msg: string) {
    super(`Pattern syntax error near position ${pos}: ${msg}`);
    this.pos = pos;
  }
}

type CharSpec = { single: number } | { from: number; to: number };

function cp(c: string): number {
  return c.codePointAt(0) ?? 0;
}

function parseCharSpecifiers(chars: string[]): CharSpec[] {
  const out: CharSpec[] = [];
  let i = 0;
  while (i < chars.length) {
    const first = chars[i] ?? '';
    const third = chars[i + 2];
    if (third !== undefined && chars[i + 1] === '-') {
      out.push({ from: cp(first), to: cp(third) });
      i += 3;
    } else {
      out.push({ single: cp(first) });
      i += 1;
    }
  }
  return out;
}

function hex(code: number): string {
  return `\\u{${code.toString(16)}}`;
}

/** A RegExp class for the specifiers (empty or reversed ranges match nothing, as in Rust). */
function classRegex(specs: CharSpec[], negate: boolean): string {
  const parts: string[] = [];
  for (const s of specs) {
    if ('single' in s) parts.push(hex(s.single));
    else if (s.from <= s.to) parts.push(`${hex(s.from)}-${hex(s.to)}`);
  }
  if (parts.length === 0) return negate ? '[\\s\\S]' : '[^\\s\\S]';
  return `[${negate ? '^' : ''}${parts.join('')}]`;
}

function escapeChar(c: string): string {
  // Only syntax characters may be escaped in a 'u' RegExp.
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}

/** Compile a pattern; throws GlobSyntaxError on invalid syntax. */
export function compileGlob(pattern: string): GlobPattern {
  const chars = Array.from(pattern);
  let re = '';
  let lastWasRecursive = false;
  let i = 0;
  while (i < chars.length) {
    const c = chars[i] ?? '';
    if (c === '?') {
      re += '[\\s\\S]';
      lastWasRecursive = false;
      i += 1;
    } else if (c === '*') {
      const old = i;
      while (chars[i] === '*') i += 1;
      const count = i - old;
      if (count > 2) throw new GlobSyntaxError(old + 2, ERROR_WILDCARDS);
      if (count === 2) {
        if (!(i === 2 || chars[i - count - 1] === '/')) {
          throw new GlobSyntaxError(old - 1, ERROR_RECURSIVE_WILDCARDS);
        }
        if (i < chars.length && chars[i] === '/') i += 1;
        else if (i !== chars.length) throw new GlobSyntaxError(i, ERROR_RECURSIVE_WILDCARDS);
        // Upstream's AnyRecursiveSequence: nothing, anything up to a "/", or
        // everything that is left (then the rest of the pattern must match "").
        if (!lastWasRecursive) re += '(?:[\\s\\S]*/|[\\s\\S]*$)?';
        lastWasRecursive = true;
      } else {
        re += '[\\s\\S]*';
        lastWasRecursive = false;
      }
    } else if (c === '[') {
      const negated = chars[i + 1] === '!';
      let done = false;
      if (negated && i + 4 <= chars.length) {
        const j = chars.slice(i + 3).indexOf(']');
        if (j >= 0) {
          re += classRegex(parseCharSpecifiers(chars.slice(i + 2, i + 3 + j)), true);
          i += j + 4;
          done = true;
        }
      } else if (!negated && i + 3 <= chars.length) {
        const j = chars.slice(i + 2).indexOf(']');
        if (j >= 0) {
          re += classRegex(parseCharSpecifiers(chars.slice(i + 1, i + j + 3)), false);
          i += j + 3;
          done = true;
        }
      }
      if (!done) throw new GlobSyntaxError(i, ERROR_INVALID_RANGE);
      lastWasRecursive = false;
    } else {
      re += escapeChar(c);
      lastWasRecursive = false;
      i += 1;
    }
  }
  const regex = new RegExp(`^${re}$`, 'u');
  return { source: pattern, matches: (s: string) => regex.test(s) };
}

/** A filter that keeps a name when any of the patterns matches it. */
export function anyOf(patterns: GlobPattern[]): GlobPattern {
  return {
    source: patterns.map((p) => p.source).join(' '),
    matches: (s: string) => patterns.some((p) => p.matches(s)),
  };
}
