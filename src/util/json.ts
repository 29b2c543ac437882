// JSON parsing with serde_json-style error wording ("expected value at line 1
// column 1"), as upstream prints it, instead of V8's ("Unexpected token ...").
// A valid document goes straight to JSON.parse; only on failure does a small
// scanner walk the text to find where and why, the way serde_json reports it.

export class JsonSyntaxError extends Error {
  override name = 'JsonSyntaxError';
}

/** Parse JSON text; a syntax error is a JsonSyntaxError worded as serde_json. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new JsonSyntaxError(describeJsonError(text));
  }
}

/** serde_json's message for the first syntax error of `text`. */
export function describeJsonError(text: string): string {
  const s = new Scanner(text);
  try {
    s.ws();
    s.value('a value');
    s.ws();
    if (s.pos < text.length) s.fail('trailing characters', s.pos + 1);
  } catch (err) {
    if (err instanceof ScanError) return err.message;
    throw err;
  }
  return 'invalid JSON';
}

class ScanError extends Error {}

class Scanner {
  pos = 0;
  /** Nesting depth: serde_json's recursion limit is 128. */
  private depth = 0;
  constructor(private readonly text: string) {}

  fail(what: string, at = this.pos): never {
    let line = 1;
    let column = 0;
    for (let i = 0; i < Math.min(at, this.text.length); i++) {
      if (this.text[i] === '\n') {
        line++;
        column = 0;
      } else column++;
    }
    throw new ScanError(`${what} at line ${line} column ${column}`);
  }

  ws(): void {
    while (this.pos < this.text.length && ' \t\n\r'.includes(this.text[this.pos] as string)) this.pos++;
  }

  private eof(what: string): never {
    return this.fail(`EOF while parsing ${what}`, this.text.length);
  }

  value(what: string): void {
    const c = this.text[this.pos];
    if (c === undefined) this.eof(what);
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    const word = c === 't' ? 'true' : c === 'f' ? 'false' : c === 'n' ? 'null' : undefined;
    if (word === undefined) this.fail('expected value', this.pos + 1);
    for (const expected of word) {
      const ch = this.text[this.pos];
      if (ch === undefined) this.eof(what);
      this.pos++;
      if (ch !== expected) this.fail('expected ident');
    }
  }

  private nest(): void {
    if (++this.depth > 128) this.fail('recursion limit exceeded', this.pos + 1);
  }

  private object(): void {
    this.nest();
    this.pos++;
    this.ws();
    if (this.text[this.pos] === '}') {
      this.pos++;
      this.depth--;
      return;
    }
    for (;;) {
      this.ws();
      const c = this.text[this.pos];
      if (c === undefined) this.eof('an object');
      if (c !== '"') this.fail(c === '}' ? 'trailing comma' : 'key must be a string', this.pos + 1);
      this.string();
      this.ws();
      if (this.text[this.pos] === undefined) this.eof('an object');
      if (this.text[this.pos] !== ':') this.fail('expected `:`', this.pos + 1);
      this.pos++;
      this.ws();
      this.value('a value');
      this.ws();
      const d = this.text[this.pos];
      if (d === undefined) this.eof('an object');
      this.pos++;
      if (d === '}') break;
      if (d !== ',') this.fail('expected `,` or `}`');
    }
    this.depth--;
  }

  private array(): void {
    this.nest();
    this.pos++;
    this.ws();
    if (this.text[this.pos] === ']') {
      this.pos++;
      this.depth--;
      return;
    }
    for (;;) {
      this.ws();
      if (this.text[this.pos] === ']') this.fail('trailing comma', this.pos + 1);
      this.value('a list');
      this.ws();
      const d = this.text[this.pos];
      if (d === undefined) this.eof('a list');
      this.pos++;
      if (d === ']') break;
      if (d !== ',') this.fail('expected `,` or `]`');
    }
    this.depth--;
  }

  private string(): void {
    this.pos++;
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined) this.eof('a string');
      this.pos++;
      if (c === '"') return;
      if (c < ' ') this.fail('control character (\\u0000-\\u001F) found while parsing a string');
      if (c === '\\') {
        const e = this.text[this.pos];
        if (e === undefined) this.eof('a string');
        this.pos++;
        if (e === 'u') {
          const hex = this.text.slice(this.pos, this.pos + 4);
          if (hex.length < 4) this.eof('a string');
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('invalid escape');
          this.pos += 4;
        } else if (!'"\\/bfnrt'.includes(e)) this.fail('invalid escape');
      }
    }
  }

  private number(): void {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(this.text.slice(this.pos));
    if (m === null || m[0] === '-') {
      if (this.pos + 1 >= this.text.length) this.eof('a value');
      this.fail('invalid number', this.pos + 2);
    }
    this.pos += m[0].length;
    const next = this.text[this.pos];
    if (next === '.' || next === 'e' || next === 'E') {
      if (this.pos + 1 >= this.text.length) this.eof('a value');
      this.fail('invalid number', this.pos + 2);
    }
  }
}
